//! Running the gated child: stdin forwarded, exit code propagated (a signal death becomes
//! 128 + signal, as shells report it), output either captured for the output check or left on
//! the terminal.

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};

use crate::exit::{Exit, Fail};

/// Most bytes kept of each captured stream (stdout, stderr) for the output check. Beyond it the
/// rest is read and dropped (so the child never blocks on a full pipe) and the output is withheld:
/// memory stays bounded, and a payload that large would take hundreds of decide calls.
pub const CAPTURE_LIMIT: usize = 16 << 20;

/// A finished child with captured output.
#[derive(Debug)]
pub struct Captured {
    pub exit: Exit,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// A stream went over [`CAPTURE_LIMIT`]: what was kept is incomplete.
    pub overflow: bool,
}

/// Read `r` to the end, keeping at most `limit` bytes; `true` if more came.
fn read_capped(mut r: impl Read, limit: usize) -> std::io::Result<(Vec<u8>, bool)> {
    let mut kept = Vec::new();
    let mut over = false;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok((kept, over)),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = buf.get(..n).unwrap_or_default();
        if !over && kept.len() + n <= limit {
            kept.extend_from_slice(chunk);
        } else {
            over = true;
        }
    }
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
    let reader = std::thread::spawn(move || match err_pipe {
        Some(p) => read_capped(p, CAPTURE_LIMIT).unwrap_or_default(),
        None => (Vec::new(), false),
    });
    let (stdout, out_over) = match child.stdout.take() {
        Some(p) => read_capped(p, CAPTURE_LIMIT)
            .map_err(|e| Fail::io(format!("read the output of {program}: {e}")))?,
        None => (Vec::new(), false),
    };
    let (stderr, err_over) = reader.join().unwrap_or_default();
    let status = child
        .wait()
        .map_err(|e| Fail::new(Exit::Internal, format!("wait for {program}: {e}")))?;
    Ok(Captured {
        exit: exit_of(status),
        stdout,
        stderr,
        overflow: out_over || err_over,
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
