//! vm-frontend
