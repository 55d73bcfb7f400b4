//! Scaling check: scan time for repeated pathological fragments at two sizes (4x apart).
fn main() {
    let pats = ["api_key=", "password=", "token: ", "Bearer ", "AKIA", "eyJ", "-----BEGIN PRIVATE KEY-----\\n", "://u:", "@", "1", "1.", "1-", "Mr. ", "In ", "12 Main ", "a@", "ghp_", "sk-", "xoxb-", "SG.", "=", ":", "::", "Aa ", "a.b@", "1:", "a:", "-----BEGIN PRIVATE KEY-----\nMIIB\n"];
    for p in pats {
        let mut times = Vec::new();
        for n in [50_000usize, 200_000] {
            let text = p.repeat(n / p.len());
            let t = std::time::Instant::now();
            let f = datafog::scan_all(text.as_bytes());
            times.push((t.elapsed(), f.len()));
        }
        let ratio = times[1].0.as_secs_f64() / times[0].0.as_secs_f64().max(1e-9);
        println!("{p:?}: 50K {:?} 200K {:?} ratio {ratio:.1} findings {}", times[0].0, times[1].0, times[1].1);
    }
}
