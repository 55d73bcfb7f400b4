//! Running the gated child: stdin forwarded, exit code propagated (a signal death becomes
//! 128 + signal, as shells report it), output either captured for the output check or left on
//! the terminal.

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};

use crate::exit::{Exit, Fail};

/// Most bytes kept of each captured stream (stdout, stderr) for the output check. Beyond it the
/// rest is read and dropped (so the child never blocks on a full pipe) and the output is withheld:
/// memory stays bounded, and a payload that large would take hundreds of decide calls.
pub const CAPTURE_LIMIT: usize = 16 << 20;

/// What the child gets besides its arguments: environment overrides (redacted values of
/// variables the command references) and, when the shim's stdin is checked, the pump that
/// forwards it.
#[derive(Default)]
pub struct ChildInput {
    pub env: Vec<(String, String)>,
    pub stdin: Option<StdinPump>,
}

impl std::fmt::Debug for ChildInput {
    /// Names only: the values may be secrets (redacted or not).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.env.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("ChildInput")
            .field("env", &names)
            .field("stdin", &self.stdin.is_some())
            .finish()
    }
}

/// Forwards the shim's stdin to the child's, checking it first (`crate::stdin`); runs on its own
/// thread. It stores a message in the slot *before* it closes the child's stdin when the gate
/// blocks the rest of the input.
pub type StdinPump = Box<dyn FnOnce(ChildStdin, Arc<Mutex<Option<String>>>) + Send>;

/// Start the pump (if any) on the child's stdin; the returned slot says whether it blocked.
fn start_pump(
    child: &mut std::process::Child,
    pump: Option<StdinPump>,
) -> Arc<Mutex<Option<String>>> {
    let slot = Arc::new(Mutex::new(None));
    if let (Some(pump), Some(stdin)) = (pump, child.stdin.take()) {
        let s = Arc::clone(&slot);
        // Not joined: a child that exits without reading all its input leaves the pump blocked
        // on the shim's stdin; the process ends without it.
        std::thread::spawn(move || pump(stdin, s));
    }
    slot
}

fn blocked_of(slot: &Arc<Mutex<Option<String>>>) -> Option<String> {
    slot.lock().ok().and_then(|g| g.clone())
}

/// A finished child with captured output.
#[derive(Debug)]
pub struct Captured {
    pub exit: Exit,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// A stream went over [`CAPTURE_LIMIT`]: what was kept is incomplete.
    pub overflow: bool,
    /// The stdin check blocked the rest of the input (the child saw end of input instead).
    pub stdin_blocked: Option<String>,
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
pub fn run_captured(program: &str, args: &[String], input: ChildInput) -> Result<Captured, Fail> {
    let stdin = if input.stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::inherit()
    };
    let mut child = Command::new(program)
        .args(args)
        .envs(input.env)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_error(program, &e))?;
    let slot = start_pump(&mut child, input.stdin);
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
        stdin_blocked: blocked_of(&slot),
    })
}

/// Run with the shim's own stdout and stderr (and stdin, unless a pump checks it); the second
/// value is the stdin check's block message, if it blocked.
pub fn run_inherited(
    program: &str,
    args: &[String],
    input: ChildInput,
) -> Result<(Exit, Option<String>), Fail> {
    let stdin = if input.stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::inherit()
    };
    let mut child = Command::new(program)
        .args(args)
        .envs(input.env)
        .stdin(stdin)
        .spawn()
        .map_err(|e| spawn_error(program, &e))?;
    let slot = start_pump(&mut child, input.stdin);
    let status = child
        .wait()
        .map_err(|e| Fail::new(Exit::Internal, format!("wait for {program}: {e}")))?;
    Ok((exit_of(status), blocked_of(&slot)))
}
