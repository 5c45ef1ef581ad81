//! YAML read from a repository, a request or a file the user gave: the guard every text passes
//! before a YAML parser sees it.

use crate::error::ParseError;

/// The most flow-collection openers (`[`, `{`) a YAML text may hold before it is parsed. The YAML
/// scanner is quadratic in the depth of flow collections (100 000 nested `{a: ` take half a
/// minute), and a count of the characters bounds that depth whatever quoting tricks the text
/// plays. Release files and sources hold a handful.
pub const MAX_FLOW_OPENERS: usize = 1000;

/// Refuses YAML that could nest flow collections deeper than [`MAX_FLOW_OPENERS`], before any
/// parser sees it. Never quotes the text.
pub fn check_yaml_nesting(text: &str) -> Result<(), ParseError> {
    let openers = text.bytes().filter(|b| matches!(b, b'[' | b'{')).count();
    if openers > MAX_FLOW_OPENERS {
        return Err(ParseError::new(format!(
            "has more than {MAX_FLOW_OPENERS} '[' and '{{' (nested too deeply?); refusing to parse it as YAML"
        )));
    }
    Ok(())
}
