//! The hashing ceiling: how many argon2id hashes per second this machine's cores do at the
//! given parameters, one thread per core, each reusing its memory as axum-users' pool does.
//! Login throughput is compared with it.
//!
//! Usage: `hash_ceiling MEMORY_KIB ITERATIONS PARALLELISM SECONDS [THREADS]`; prints one JSON
//! line `{"hashes_per_s": …, "hash_ms": …, "threads": …, …}`.

use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Block, Params, Version};

fn arg(args: &[String], i: usize, name: &str) -> Result<u64, String> {
    args.get(i)
        .ok_or_else(|| format!("missing {name}"))?
        .parse()
        .map_err(|e| format!("{name}: {e}"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: hash_ceiling MEMORY_KIB ITERATIONS PARALLELISM SECONDS [THREADS]";
    let m = u32::try_from(arg(&args, 0, "MEMORY_KIB").map_err(|e| format!("{e}; {usage}"))?)?;
    let t = u32::try_from(arg(&args, 1, "ITERATIONS")?)?;
    let p = u32::try_from(arg(&args, 2, "PARALLELISM")?)?;
    let seconds = arg(&args, 3, "SECONDS")?;
    let threads = match args.get(4) {
        Some(n) => n.parse()?,
        None => std::thread::available_parallelism()?.get(),
    };
    let params = Params::new(m, t, p, Some(32)).map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|i| {
            let params = params.clone();
            std::thread::spawn(move || -> Result<u64, String> {
                let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
                let mut memory = vec![Block::default(); params.block_count()];
                let mut out = [0u8; 32];
                let salt = [i as u8; 16];
                let mut done = 0;
                while Instant::now() < deadline {
                    argon2
                        .hash_password_into_with_memory(
                            b"bench-password-1",
                            &salt,
                            &mut out,
                            &mut memory,
                        )
                        .map_err(|e| e.to_string())?;
                    done += 1;
                }
                Ok(done)
            })
        })
        .collect();
    let mut hashes = 0;
    for worker in workers {
        hashes += worker.join().map_err(|_| "a hashing thread panicked")??;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let per_s = hashes as f64 / elapsed;
    println!(
        "{}",
        serde_json::json!({
            "hashes_per_s": (per_s * 100.0).round() / 100.0,
            "hash_ms": (threads as f64 * 1000.0 / per_s * 100.0).round() / 100.0,
            "threads": threads,
            "hashes": hashes,
            "seconds": (elapsed * 100.0).round() / 100.0,
            "memory_kib": m,
            "iterations": t,
            "parallelism": p,
        })
    );
    Ok(())
}
