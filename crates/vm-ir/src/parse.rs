//! Text form: parsing. (Placeholder: implemented by the IR text-form work.)
use crate::Block;

/// A syntax error in IR text, with its line number.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub msg: String,
}

/// Parse one block from its text form.
pub fn parse_block(_text: &str) -> Result<Block, ParseError> {
    Err(ParseError {
        line: 0,
        msg: "not implemented".into(),
    })
}
