//! Password hashing: argon2id in a bounded pool of long-lived threads, each owning one
//! reusable memory buffer; verification of argon2 and legacy bcrypt hashes; the built-in
//! password policy (§7.6 and §11 of the contract).

use std::fmt;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::oneshot;
use zeroize::Zeroizing;

/// argon2id cost and pool settings.
///
/// The default is the OWASP minimum (m=19456 KiB, t=2, p=1), one worker per core and a
/// queue of 64 requests per worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashingConfig {
    /// Memory cost in KiB.
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
    /// Worker threads; 0 means the available parallelism of the machine.
    pub workers: usize,
    /// Queued requests per worker before new ones get [`HashError::Busy`].
    pub queue_per_worker: usize,
}

impl Default for HashingConfig {
    fn default() -> Self {
        Self {
            memory_kib: Params::DEFAULT_M_COST,
            iterations: Params::DEFAULT_T_COST,
            parallelism: Params::DEFAULT_P_COST,
            workers: 0,
            queue_per_worker: 64,
        }
    }
}

/// Sanity limits checked on a stored hash before anything is allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyLimits {
    /// Largest memory cost accepted, in KiB (default 1 GiB).
    pub max_memory_kib: u32,
    /// Largest iteration count accepted (default 64).
    pub max_iterations: u32,
    /// Largest lane count accepted (default 64).
    pub max_parallelism: u32,
    /// Largest bcrypt cost accepted (default 16).
    pub max_bcrypt_cost: u32,
}

impl Default for VerifyLimits {
    fn default() -> Self {
        Self {
            max_memory_kib: 1024 * 1024,
            max_iterations: 64,
            max_parallelism: 64,
            max_bcrypt_cost: 16,
        }
    }
}

/// Why hashing failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum HashError {
    /// The queue of the pool is full: answer 503 with `Retry-After`.
    #[error("the password hashing queue is full")]
    Busy,
    /// The settings are refused by argon2.
    #[error("invalid password hashing configuration: {0}")]
    Config(String),
    /// A worker failed or the pool stopped.
    #[error("password hashing failed: {0}")]
    Internal(String),
}

/// The outcome of a verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// The password matches the stored hash.
    pub ok: bool,
    /// The hash should be replaced by one at the current settings (only set when `ok`).
    pub needs_rehash: bool,
}

enum Job {
    Hash {
        password: Zeroizing<Vec<u8>>,
        reply: oneshot::Sender<Result<String, HashError>>,
    },
    Verify {
        password: Zeroizing<Vec<u8>>,
        stored: String,
        reply: oneshot::Sender<bool>,
    },
}

struct Inner {
    config: HashingConfig,
    params: Params,
    sender: SyncSender<Job>,
    dummy: String,
}

/// argon2id hashing in a bounded pool of long-lived threads.
///
/// Hashing never runs on an async worker thread: requests queue (FIFO, bounded) for the
/// pool's threads, each of which owns one reusable argon2 memory buffer, so memory stays
/// near `workers × memory_kib` and a login flood cannot stall requests that need no hash.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), auth_runtime::password::HashError> {
/// use auth_runtime::password::{HashingConfig, PasswordHasher};
/// let hasher = PasswordHasher::new(HashingConfig { memory_kib: 1024, iterations: 1, ..HashingConfig::default() })?;
/// let hash = hasher.hash("correct horse battery staple").await?;
/// assert!(hash.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
/// assert!(hasher.verify("correct horse battery staple", &hash).await?.ok);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

fn argon2id(params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes with the worker's buffer, growing it when needed.
fn hash_with(
    argon2: &Argon2<'_>,
    params: &Params,
    memory: &mut Vec<Block>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), String> {
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    argon2
        .hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
        .map_err(|e| e.to_string())
}

fn new_hash(
    params: &Params,
    memory: &mut Vec<Block>,
    password: &[u8],
) -> Result<String, HashError> {
    let mut salt_bytes = [0u8; Salt::RECOMMENDED_LENGTH];
    getrandom::fill(&mut salt_bytes).map_err(|e| HashError::Internal(e.to_string()))?;
    let salt = Salt::new(&salt_bytes).map_err(|e| HashError::Internal(e.to_string()))?;
    let mut out = Zeroizing::new([0u8; 32]);
    hash_with(
        &argon2id(params.clone()),
        params,
        memory,
        password,
        &salt_bytes,
        &mut *out,
    )
    .map_err(HashError::Internal)?;
    let hash = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|e| HashError::Internal(e.to_string()))?,
        salt: Some(salt),
        hash: Some(Output::new(&*out).map_err(|e| HashError::Internal(e.to_string()))?),
    };
    Ok(hash.to_string())
}

/// The cost of a `$2a$`/`$2b$`/`$2x$`/`$2y$` bcrypt hash, if `stored` is one.
fn bcrypt_cost(stored: &str) -> Option<u32> {
    let rest = ["$2a$", "$2b$", "$2x$", "$2y$"]
        .iter()
        .find_map(|prefix| stored.strip_prefix(prefix))?;
    let (cost, tail) = rest.split_at_checked(2)?;
    if !cost.bytes().all(|b| b.is_ascii_digit()) || tail.len() != 54 || !tail.starts_with('$') {
        return None;
    }
    cost.parse().ok()
}

fn verify_with(
    limits: &VerifyLimits,
    memory: &mut Vec<Block>,
    password: &[u8],
    stored: &str,
) -> bool {
    if let Some(cost) = bcrypt_cost(stored) {
        if cost > limits.max_bcrypt_cost {
            tracing::error!(cost, "refused a bcrypt hash past the cost limit");
            return false;
        }
        // The library that made it used the first 72 bytes; bcrypt::verify does the same.
        return bcrypt::verify(password, stored).unwrap_or_else(|e| {
            tracing::error!(error = %e, "unreadable bcrypt hash");
            false
        });
    }
    let parsed = match PasswordHash::new(stored) {
        Ok(parsed) => parsed,
        Err(e) => {
            tracing::error!(error = %e, "unknown password hash format");
            return false;
        }
    };
    let algorithm = match Algorithm::new(parsed.algorithm.as_str()) {
        Ok(algorithm) => algorithm,
        Err(_) => {
            tracing::error!(algorithm = %parsed.algorithm, "unknown password hash algorithm");
            return false;
        }
    };
    let version = match parsed.version.map_or(Ok(Version::V0x10), Version::try_from) {
        Ok(version) => version,
        Err(_) => {
            tracing::error!("unknown argon2 version in a stored hash");
            return false;
        }
    };
    let params = match Params::try_from(&parsed) {
        Ok(params) => params,
        Err(e) => {
            tracing::error!(error = %e, "unreadable argon2 parameters in a stored hash");
            return false;
        }
    };
    if params.m_cost() > limits.max_memory_kib
        || params.t_cost() > limits.max_iterations
        || params.p_cost() > limits.max_parallelism
    {
        tracing::error!(
            m = params.m_cost(),
            t = params.t_cost(),
            p = params.p_cost(),
            "refused an argon2 hash past the sanity limits"
        );
        return false;
    }
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        tracing::error!("a stored argon2 hash lacks its salt or output");
        return false;
    };
    let mut out = Zeroizing::new(vec![0u8; expected.len()]);
    let argon2 = Argon2::new(algorithm, version, params.clone());
    if let Err(e) = hash_with(&argon2, &params, memory, password, salt.as_ref(), &mut out) {
        tracing::error!(error = %e, "argon2 verification failed");
        return false;
    }
    Output::new(&out).is_ok_and(|computed| computed == expected)
}

fn worker(receiver: Arc<Mutex<Receiver<Job>>>, params: Params, limits: VerifyLimits) {
    let base = params.block_count();
    let mut memory = vec![Block::default(); base];
    loop {
        let job = match receiver.lock() {
            Ok(guard) => guard.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        match job {
            Job::Hash { password, reply } => {
                let _ = reply.send(new_hash(&params, &mut memory, &password));
            }
            Job::Verify {
                password,
                stored,
                reply,
            } => {
                let _ = reply.send(verify_with(&limits, &mut memory, &password, &stored));
            }
        }
        if memory.len() > base {
            memory.truncate(base);
            memory.shrink_to_fit();
        }
    }
}

impl PasswordHasher {
    /// Checks the settings, starts the workers and makes the dummy hash used for logins
    /// with unknown emails.
    pub fn new(config: HashingConfig) -> Result<Self, HashError> {
        let params = Params::new(
            config.memory_kib,
            config.iterations,
            config.parallelism,
            Some(32),
        )
        .map_err(|e| HashError::Config(e.to_string()))?;
        let workers = match config.workers {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        let capacity = workers.saturating_mul(config.queue_per_worker.max(1));
        let (sender, receiver) = mpsc::sync_channel(capacity);
        let receiver = Arc::new(Mutex::new(receiver));
        let limits = VerifyLimits::default();
        for n in 0..workers {
            let receiver = Arc::clone(&receiver);
            let params = params.clone();
            std::thread::Builder::new()
                .name(format!("axum-users-hash-{n}"))
                .spawn(move || worker(receiver, params, limits))
                .map_err(|e| HashError::Internal(format!("cannot start a hashing thread: {e}")))?;
        }
        let mut dummy_password = [0u8; 16];
        getrandom::fill(&mut dummy_password).map_err(|e| HashError::Internal(e.to_string()))?;
        let dummy = new_hash(&params, &mut Vec::new(), &dummy_password)?;
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                params,
                sender,
                dummy,
            }),
        })
    }

    /// The settings.
    pub fn config(&self) -> &HashingConfig {
        &self.inner.config
    }

    fn submit(&self, job: Job) -> Result<(), HashError> {
        self.inner.sender.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => HashError::Busy,
            TrySendError::Disconnected(_) => HashError::Internal("the hashing pool stopped".into()),
        })
    }

    /// Hashes `password` into a PHC string
    /// (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`, 16-byte salt, 32-byte output).
    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Hash {
            password: Zeroizing::new(password.as_bytes().to_vec()),
            reply,
        })?;
        answer
            .await
            .map_err(|_| HashError::Internal("a hashing thread stopped".into()))?
    }

    /// Checks `password` against a stored argon2 (id, i, d) or bcrypt hash. An unknown
    /// format or parameters past the sanity limits never verify (and are logged).
    pub async fn verify(&self, password: &str, stored: &str) -> Result<Verified, HashError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Verify {
            password: Zeroizing::new(password.as_bytes().to_vec()),
            stored: stored.to_owned(),
            reply,
        })?;
        let ok = answer
            .await
            .map_err(|_| HashError::Internal("a hashing thread stopped".into()))?;
        Ok(Verified {
            ok,
            needs_rehash: ok && self.needs_rehash(stored),
        })
    }

    /// Spends one verification at the current cost (logins with unknown emails).
    pub async fn verify_dummy(&self, password: &str) -> Result<(), HashError> {
        let dummy = self.inner.dummy.clone();
        self.verify(password, &dummy).await.map(|_| ())
    }

    /// Whether a stored hash is weaker than the current settings: bcrypt, another argon2
    /// variant, another version, or memory × iterations below the configured product. A
    /// stronger hash is kept.
    pub fn needs_rehash(&self, stored: &str) -> bool {
        if bcrypt_cost(stored).is_some() {
            return true;
        }
        let Ok(parsed) = PasswordHash::new(stored) else {
            return false;
        };
        if parsed.algorithm != argon2::ARGON2ID_IDENT
            || parsed.version != Some(Version::V0x13.into())
        {
            return true;
        }
        let Ok(params) = Params::try_from(&parsed) else {
            return false;
        };
        let stored_cost = u64::from(params.m_cost()) * u64::from(params.t_cost());
        let wanted = u64::from(self.inner.params.m_cost()) * u64::from(self.inner.params.t_cost());
        stored_cost < wanted
    }
}

/// The built-in password policy (§7.6): 8 characters to 4096 bytes by default; an empty
/// password is always refused. Passwords are used byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Minimum length in Unicode scalar values (at least 1).
    pub min_chars: usize,
    /// Maximum length in UTF-8 bytes.
    pub max_bytes: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_chars: 8,
            max_bytes: 4096,
        }
    }
}

impl PasswordPolicy {
    /// `Ok` or the reason the password is refused.
    pub fn check(&self, password: &str) -> Result<(), String> {
        if self.too_long(password) {
            return Err(format!(
                "Password must be at most {} bytes long",
                self.max_bytes
            ));
        }
        if password.is_empty() || password.chars().count() < self.min_chars {
            return Err(format!(
                "Password must be at least {} characters long",
                self.min_chars.max(1)
            ));
        }
        Ok(())
    }

    /// Whether the password exceeds the byte maximum (checked at login before hashing).
    pub fn too_long(&self, password: &str) -> bool {
        password.len() > self.max_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> HashingConfig {
        HashingConfig {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
            workers: 2,
            queue_per_worker: 64,
        }
    }

    fn argon2_hash(algorithm: Algorithm, m: u32, t: u32, p: u32, password: &[u8]) -> String {
        let params = Params::new(m, t, p, Some(32)).expect("params");
        let salt = Salt::new(b"0123456789abcdef").expect("salt");
        let mut out = [0u8; 32];
        Argon2::new(algorithm, Version::V0x13, params.clone())
            .hash_password_into(password, salt.as_ref(), &mut out)
            .expect("hash");
        PasswordHash {
            algorithm: match algorithm {
                Algorithm::Argon2i => argon2::ARGON2I_IDENT,
                Algorithm::Argon2d => argon2::ARGON2D_IDENT,
                _ => argon2::ARGON2ID_IDENT,
            },
            version: Some(0x13),
            params: ParamsString::try_from(&params).expect("params string"),
            salt: Some(salt),
            hash: Some(Output::new(&out).expect("output")),
        }
        .to_string()
    }

    #[tokio::test]
    async fn hash_format_and_round_trip() {
        let hasher = PasswordHasher::new(cheap()).expect("hasher");
        let hash = hasher.hash("correct horse").await.expect("hash");
        let parts: Vec<&str> = hash.split('$').collect();
        assert_eq!(&parts[..4], ["", "argon2id", "v=19", "m=1024,t=1,p=1"]);
        assert_eq!((parts[4].len(), parts[5].len()), (22, 43));
        let verified = hasher.verify("correct horse", &hash).await.expect("verify");
        assert_eq!(
            verified,
            Verified {
                ok: true,
                needs_rehash: false
            }
        );
        let wrong = hasher
            .verify("correct horse!", &hash)
            .await
            .expect("verify");
        assert!(!wrong.ok && !wrong.needs_rehash);
        assert_ne!(
            hash,
            hasher.hash("correct horse").await.expect("hash"),
            "salted"
        );
    }

    #[test]
    fn default_is_the_owasp_minimum() {
        let c = HashingConfig::default();
        assert_eq!((c.memory_kib, c.iterations, c.parallelism), (19456, 2, 1));
    }

    #[tokio::test]
    async fn stronger_and_weaker_hashes() {
        let hasher = PasswordHasher::new(HashingConfig {
            memory_kib: 4096,
            iterations: 2,
            ..cheap()
        })
        .expect("hasher");
        let strong = argon2_hash(Algorithm::Argon2id, 8192, 3, 4, b"pw");
        assert_eq!(
            hasher.verify("pw", &strong).await.expect("verify"),
            Verified {
                ok: true,
                needs_rehash: false
            },
            "a stronger hash is kept"
        );
        let weak = argon2_hash(Algorithm::Argon2id, 1024, 1, 1, b"pw");
        assert_eq!(
            hasher.verify("pw", &weak).await.expect("verify"),
            Verified {
                ok: true,
                needs_rehash: true
            }
        );
        let argon2i = argon2_hash(Algorithm::Argon2i, 8192, 3, 1, b"pw");
        assert_eq!(
            hasher.verify("pw", &argon2i).await.expect("verify"),
            Verified {
                ok: true,
                needs_rehash: true
            }
        );
    }

    #[tokio::test]
    async fn fastapi_users_hash_verifies() {
        let hasher = PasswordHasher::new(cheap()).expect("hasher");
        let reference = argon2_hash(Algorithm::Argon2id, 65536, 3, 4, b"a-password");
        assert!(reference.starts_with("$argon2id$v=19$m=65536,t=3,p=4$"));
        let verified = hasher
            .verify("a-password", &reference)
            .await
            .expect("verify");
        assert_eq!(
            verified,
            Verified {
                ok: true,
                needs_rehash: false
            }
        );
    }

    #[tokio::test]
    async fn bcrypt_hashes_verify_on_72_bytes_and_need_rehash() {
        let hasher = PasswordHasher::new(cheap()).expect("hasher");
        let hash = bcrypt::hash("legacy-password", 4).expect("bcrypt");
        assert_eq!(
            hasher
                .verify("legacy-password", &hash)
                .await
                .expect("verify"),
            Verified {
                ok: true,
                needs_rehash: true
            }
        );
        assert!(!hasher.verify("other", &hash).await.expect("verify").ok);
        let long = "x".repeat(100);
        let hash = bcrypt::hash(&long, 4).expect("bcrypt");
        let same_prefix = format!("{}{}", "x".repeat(72), "y".repeat(28));
        assert!(hasher.verify(&same_prefix, &hash).await.expect("verify").ok);
        let over_limit = hash.replacen("$04$", "$17$", 1);
        assert!(!hasher.verify(&long, &over_limit).await.expect("verify").ok);
    }

    #[tokio::test]
    async fn unknown_formats_and_absurd_parameters_never_verify() {
        let hasher = PasswordHasher::new(cheap()).expect("hasher");
        for stored in [
            "plaintext",
            "",
            "$argon2id$v=19$m=999999999,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
            "$argon2id$v=19$m=1024,t=1000,p=1$MDEyMzQ1Njc4OWFiY2RlZg$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
            "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
        ] {
            let verified = hasher.verify("pw", stored).await.expect("verify");
            assert_eq!(
                verified,
                Verified {
                    ok: false,
                    needs_rehash: false
                },
                "{stored}"
            );
        }
        hasher.verify_dummy("anything").await.expect("dummy");
    }

    #[test]
    fn policy_reasons() {
        let policy = PasswordPolicy::default();
        assert_eq!(policy.check("12345678"), Ok(()));
        assert_eq!(policy.check("ééééééé€"), Ok(()), "characters, not bytes");
        assert_eq!(
            policy.check("short").unwrap_err(),
            "Password must be at least 8 characters long"
        );
        assert_eq!(
            policy.check("").unwrap_err(),
            "Password must be at least 8 characters long"
        );
        assert_eq!(
            policy.check(&"x".repeat(4097)).unwrap_err(),
            "Password must be at most 4096 bytes long"
        );
        assert!(policy.too_long(&"é".repeat(2049)));
        let one = PasswordPolicy {
            min_chars: 1,
            max_bytes: 10,
        };
        assert_eq!(
            one.check("").unwrap_err(),
            "Password must be at least 1 characters long"
        );
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy() {
        let hasher = PasswordHasher::new(HashingConfig {
            memory_kib: 8192,
            iterations: 4,
            parallelism: 1,
            workers: 1,
            queue_per_worker: 1,
        })
        .expect("hasher");
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let hasher = hasher.clone();
                tokio::spawn(async move { hasher.hash("pw").await })
            })
            .collect();
        let mut busy = 0;
        let mut done = 0;
        for task in tasks {
            match task.await.expect("task") {
                Ok(_) => done += 1,
                Err(HashError::Busy) => busy += 1,
                Err(other) => panic!("{other}"),
            }
        }
        assert!(busy >= 1 && done >= 1, "busy {busy}, done {done}");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn hashing_does_not_block_the_runtime() {
        let hasher = PasswordHasher::new(HashingConfig {
            memory_kib: 8192,
            iterations: 3,
            ..cheap()
        })
        .expect("hasher");
        let hashes: Vec<_> = (0..4)
            .map(|_| {
                let hasher = hasher.clone();
                tokio::spawn(async move { hasher.hash("pw").await })
            })
            .collect();
        let mut ticks = 0;
        while !hashes.iter().all(tokio::task::JoinHandle::is_finished) {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            ticks += 1;
        }
        assert!(ticks > 0, "the runtime kept ticking while hashes ran");
        for h in hashes {
            h.await.expect("task").expect("hash");
        }
    }
}
