//! The shim's own exit codes (sysexits.h numbers, so they are not mistaken for the usual child
//! codes 1, 2, 126, 127 and 128+N). A child's own exit code is passed through unchanged; the
//! stderr line `receipt=<id> decision=<d>` (or the error text) tells the two apart.

use std::process::ExitCode;

/// An outcome of the shim itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Success (or: the gated child exited 0).
    Ok,
    /// Bad command line: unknown flag, missing argument, invalid mode (`EX_USAGE`).
    Usage,
    /// The policy service could not be asked (unreachable, timeout, non-200) and the gate fails
    /// closed (`EX_UNAVAILABLE`).
    PolicyUnavailable,
    /// A bug or an impossible state (`EX_SOFTWARE`).
    Internal,
    /// Reading or writing a file (the gated file, the event sink, the offline receipts) failed
    /// (`EX_IOERR`).
    Io,
    /// The policy blocked the action (`deny`, or `transform` of a command) in enforced mode
    /// (`EX_NOPERM`).
    Blocked,
    /// A configuration file is unusable: the offline policy, a Claude Code settings file
    /// (`EX_CONFIG`).
    Config,
    /// The command to run is not executable (as a shell reports it).
    NotExecutable,
    /// The command to run was not found (as a shell reports it).
    NotFound,
    /// A gated child's own exit code, passed through.
    Child(u8),
}

impl Exit {
    pub const fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Usage => 64,
            Exit::PolicyUnavailable => 69,
            Exit::Internal => 70,
            Exit::Io => 74,
            Exit::Blocked => 77,
            Exit::Config => 78,
            Exit::NotExecutable => 126,
            Exit::NotFound => 127,
            Exit::Child(c) => c,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e.code())
    }
}

/// An error that ends the process: a message for stderr and the exit code.
#[derive(Debug)]
pub struct Fail {
    pub exit: Exit,
    pub message: String,
}

impl Fail {
    pub fn new(exit: Exit, message: impl Into<String>) -> Fail {
        Fail {
            exit,
            message: message.into(),
        }
    }

    pub fn usage(message: impl Into<String>) -> Fail {
        Fail::new(Exit::Usage, message)
    }

    pub fn io(message: impl Into<String>) -> Fail {
        Fail::new(Exit::Io, message)
    }

    pub fn config(message: impl Into<String>) -> Fail {
        Fail::new(Exit::Config, message)
    }
}
