//! Text form: printing. (Placeholder: implemented by the IR text-form work.)
