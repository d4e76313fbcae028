//! Validation of names that come from outside (DESIGN §3.1). Pure string checks, no I/O.

use crate::error::{CoreError, CoreResult};

/// Longest task name accepted. Keeps `<agent>-<name>` tmux session names short and readable.
pub const MAX_TASK_NAME_LEN: usize = 48;

/// Checks a task name: `^[a-z0-9]+(-[a-z0-9]+)*$`, at most [`MAX_TASK_NAME_LEN`] characters.
///
/// Written by hand rather than with a regex: it is the hottest and most security-relevant check,
/// and a byte loop makes the accepted alphabet obvious.
pub fn validate_task_name(name: &str) -> CoreResult<()> {
    let bytes = name.as_bytes();
    let ok_len = !bytes.is_empty() && bytes.len() <= MAX_TASK_NAME_LEN;
    let ok_chars = bytes
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
    let ok_hyphens = !name.starts_with('-') && !name.ends_with('-') && !name.contains("--");
    if ok_len && ok_chars && ok_hyphens {
        Ok(())
    } else {
        // Cap what we echo back so a 1 MB "name" does not become a 1 MB message.
        Err(CoreError::InvalidTaskName(truncate_for_message(name)))
    }
}

/// Shortens untrusted text before it is quoted in an error message.
pub(crate) fn truncate_for_message(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}
