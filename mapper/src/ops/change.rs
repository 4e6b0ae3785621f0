//! What the read-modify-write loops share: the change closure's outcome, and the error that
//! tells a refused change from a failed write.

use std::convert::Infallible;
use std::fmt;

use crate::error::Error;

/// What a change closure returns: `()` for a change that always applies, or
/// `Result<(), E>` for one that may refuse (`Err(e)` ends the loop without writing).
pub trait ChangeOutcome {
    /// Why a change was refused (`Infallible` for `()`).
    type Refusal;

    /// The outcome as a `Result`.
    fn into_result(self) -> Result<(), Self::Refusal>;
}

impl ChangeOutcome for () {
    type Refusal = Infallible;

    fn into_result(self) -> Result<(), Infallible> {
        Ok(())
    }
}

impl<E> ChangeOutcome for Result<(), E> {
    type Refusal = E;

    fn into_result(self) -> Result<(), E> {
        self
    }
}

/// Why a read-modify-write did not write: the change refused, or the mapper failed.
#[derive(Debug)]
pub enum ModifyError<E> {
    /// The change closure refused (e.g. "insufficient funds"); nothing was written.
    Refused(E),
    /// Reading or writing failed ([`Error::TooManyConflicts`] when every attempt lost a race).
    Failed(Error),
}

impl<E> From<Error> for ModifyError<E> {
    fn from(error: Error) -> Self {
        ModifyError::Failed(error)
    }
}

impl From<ModifyError<Infallible>> for Error {
    fn from(error: ModifyError<Infallible>) -> Self {
        match error {
            ModifyError::Failed(e) => e,
            ModifyError::Refused(never) => match never {},
        }
    }
}

impl<E: fmt::Display> fmt::Display for ModifyError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModifyError::Refused(e) => write!(f, "the change was refused: {e}"),
            ModifyError::Failed(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for ModifyError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ModifyError::Refused(e) => Some(e),
            ModifyError::Failed(e) => Some(e),
        }
    }
}
