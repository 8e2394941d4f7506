use std::fmt;

/// A Voters record (or a change to a voter set) that does not describe a usable voter set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoterSetError {
    pub message: String,
}

impl VoterSetError {
    pub(crate) fn new(message: String) -> Self {
        VoterSetError { message }
    }
}

impl fmt::Display for VoterSetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid voter set: {}", self.message)
    }
}

impl std::error::Error for VoterSetError {}
