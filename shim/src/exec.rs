//! Running the gated child: stdin forwarded, exit code propagated (a signal death becomes
//! 128 + signal, as shells report it), output either captured for the output check or left on
//! the terminal.

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};

use crate::exit::{Exit, Fail};

/// A finished child with captured output.
#[derive(Debug)]
pub struct Captured {
    pub exit: Exit,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

fn exit_of(status: ExitStatus) -> Exit {
    match (status.code(), status.signal()) {
        (Some(c), _) => Exit::Child(u8::try_from(c & 0xff).unwrap_or(1)),
        (None, Some(sig)) => Exit::Child(u8::try_from((128 + sig) & 0xff).unwrap_or(1)),
        (None, None) => Exit::Child(1),
    }
}

fn spawn_error(program: &str, e: &std::io::Error) -> Fail {
    match e.kind() {
        std::io::ErrorKind::NotFound => {
            Fail::new(Exit::NotFound, format!("{program}: command not found"))
        }
        std::io::ErrorKind::PermissionDenied => {
            Fail::new(Exit::NotExecutable, format!("{program}: permission denied"))
        }
        _ => Fail::new(Exit::NotExecutable, format!("run {program}: {e}")),
    }
}

/// Run with stdout and stderr captured (both read concurrently, so neither pipe fills up).
pub fn run_captured(program: &str, args: &[String]) -> Result<Captured, Fail> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_error(program, &e))?;
    let err_pipe = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut p) = err_pipe {
            let _ = p.read_to_end(&mut buf);
        }
        buf
    });
    let mut stdout = Vec::new();
    if let Some(mut p) = child.stdout.take() {
        p.read_to_end(&mut stdout)
            .map_err(|e| Fail::io(format!("read the output of {program}: {e}")))?;
    }
    let stderr = reader.join().unwrap_or_default();
    let status = child
        .wait()
        .map_err(|e| Fail::new(Exit::Internal, format!("wait for {program}: {e}")))?;
    Ok(Captured {
        exit: exit_of(status),
        stdout,
        stderr,
    })
}

/// Run with the shim's own stdin, stdout and stderr.
pub fn run_inherited(program: &str, args: &[String]) -> Result<Exit, Fail> {
    let status = Command::new(program)
        .args(args)
        .status()
        .map_err(|e| spawn_error(program, &e))?;
    Ok(exit_of(status))
}
