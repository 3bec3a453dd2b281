//! vm-linux
