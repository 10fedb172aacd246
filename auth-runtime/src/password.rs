//! Password hashing and the built-in password policy (contract §7.4, §7.6, §11).
//!
//! New hashes are argon2id PHC strings made in a bounded pool of long-lived threads: each
//! thread owns one reusable argon2 memory buffer, so no hash allocates (allocating per hash
//! loses about 30 % of throughput to page faults) and memory stays at most near
//! `workers × memory_kib`; a thread gives its buffer back after
//! [`HashingConfig::release_after`] without work. Hashing never runs on an async worker
//! thread, and by default runs in the background ([`HashingConfig::background_priority`]) so
//! that cheap requests are not slowed by a login flood; when the pool's queue is full,
//! requests fail at once with [`HashError::Busy`] (answer 503).
//!
//! Verification accepts argon2id, argon2i and argon2d PHC strings and legacy bcrypt
//! (`$2a$`, `$2b$`, `$2x$`, `$2y$`). Another format, or parameters past [`VerifyLimits`]
//! (checked before anything is allocated), never verifies and is logged — without the
//! password or the hash.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use flume::{Receiver, RecvTimeoutError, Sender, TrySendError};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{ARGON2ID_IDENT, Algorithm, Argon2, Block, Params, Version};
use tokio::sync::oneshot;
use zeroize::Zeroizing;

/// Length of the argon2 output in new hashes, in bytes.
const OUTPUT_LEN: usize = 32;

/// bcrypt uses at most this many bytes of a password.
const BCRYPT_MAX_PASSWORD_BYTES: usize = 72;

/// argon2id cost and pool settings.
///
/// The default is the OWASP minimum for argon2id — m=19456 KiB, t=2, p=1 — with one worker
/// per available core and a queue of 64 requests per worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashingConfig {
    /// Memory cost in KiB (`m`).
    pub memory_kib: u32,
    /// Number of passes (`t`).
    pub iterations: u32,
    /// Number of lanes (`p`).
    pub parallelism: u32,
    /// Worker threads; 0 means [`std::thread::available_parallelism`].
    pub workers: usize,
    /// Requests that may wait per worker before new ones get [`HashError::Busy`] (at least 1).
    pub queue_per_worker: usize,
    /// A worker frees its argon2 memory after this long without a job, so an idle server
    /// goes back to its small footprint (default 2 s; `None` keeps the memory for good).
    /// The first hash after that pays for the allocation again.
    pub release_after: Option<Duration>,
    /// Run the hashing threads in the background (on Linux the lowest priority of the
    /// normal policy, nice 19; elsewhere nothing changes): any request thread that wakes up
    /// preempts a hash, so cheap requests keep their latency during a login flood, while
    /// hashing gets every cycle nothing else wants (all of them when only logins run) and a
    /// small share otherwise. The price: on a machine whose CPUs other work saturates,
    /// logins slow down first and may end in 503. `false` makes hashing share the CPU
    /// equally. Default `true`.
    pub background_priority: bool,
}

impl Default for HashingConfig {
    fn default() -> Self {
        Self {
            memory_kib: Params::DEFAULT_M_COST,
            iterations: Params::DEFAULT_T_COST,
            parallelism: Params::DEFAULT_P_COST,
            workers: 0,
            queue_per_worker: 64,
            release_after: Some(Duration::from_secs(2)),
            background_priority: true,
        }
    }
}

/// Sanity limits checked on a stored hash before anything is allocated.
///
/// A stored hash past any of them never verifies (and is logged). The defaults are
/// 1 GiB of memory, 64 iterations, 64 lanes and bcrypt cost 16.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyLimits {
    /// Largest argon2 memory cost accepted, in KiB.
    pub max_memory_kib: u32,
    /// Largest argon2 iteration count accepted.
    pub max_iterations: u32,
    /// Largest argon2 lane count accepted.
    pub max_parallelism: u32,
    /// Largest bcrypt cost accepted.
    pub max_bcrypt_cost: u32,
}

impl Default for VerifyLimits {
    fn default() -> Self {
        Self {
            max_memory_kib: 1_048_576,
            max_iterations: 64,
            max_parallelism: 64,
            max_bcrypt_cost: 16,
        }
    }
}

/// Why hashing or verifying could not be done.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HashError {
    /// The pool's queue is full: answer 503 with `Retry-After`.
    #[error("the password hashing queue is full")]
    Busy,
    /// Invalid configuration (for example parameters argon2 refuses).
    #[error("invalid password hashing configuration: {0}")]
    Config(String),
    /// A worker died or the pool shut down.
    #[error("password hashing failed: {0}")]
    Internal(String),
}

/// The outcome of a verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// The password matches the stored hash.
    pub ok: bool,
    /// The stored hash is weaker than the current settings and should be replaced
    /// (only ever set when `ok`).
    pub needs_rehash: bool,
}

/// Work sent to the pool. Passwords are wiped when the job is dropped.
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
    limits: VerifyLimits,
    params: Params,
    workers: usize,
    sender: Sender<Job>,
    dummy: String,
    /// Lets tests see the workers exit once every handle is dropped.
    #[cfg(test)]
    receiver_probe: std::sync::Weak<()>,
}

/// argon2id hashing in a bounded pool of long-lived threads.
///
/// Cloning is cheap (the clones share one pool); the threads exit once every clone is
/// dropped. Each thread allocates its argon2 memory on its first job and keeps it while
/// jobs keep coming (growing it only while verifying a stored hash with a larger memory
/// cost), and frees it after [`HashingConfig::release_after`] without one.
///
/// ```
/// use auth_runtime::password::{HashingConfig, PasswordHasher};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), auth_runtime::password::HashError> {
/// let hasher = PasswordHasher::new(HashingConfig::default())?;
/// let hash = hasher.hash("correct horse battery staple").await?;
/// assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
///
/// let verified = hasher.verify("correct horse battery staple", &hash).await?;
/// assert!(verified.ok && !verified.needs_rehash);
/// assert!(!hasher.verify("wrong", &hash).await?.ok);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("config", &self.inner.config)
            .field("limits", &self.inner.limits)
            .field("workers", &self.inner.workers)
            .finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// Checks the settings, starts the workers and makes the dummy hash (at the current
    /// settings) verified for logins with unknown emails, using [`VerifyLimits::default`].
    ///
    /// Making the dummy hash costs one hash on the calling thread.
    ///
    /// # Errors
    /// [`HashError::Config`] for parameters argon2 refuses, parameters past the verify
    /// limits, or a zero queue; [`HashError::Internal`] if a thread cannot be started or
    /// the OS random generator fails.
    pub fn new(config: HashingConfig) -> Result<Self, HashError> {
        Self::with_limits(config, VerifyLimits::default())
    }

    /// Like [`PasswordHasher::new`], with other sanity limits for stored hashes.
    ///
    /// # Errors
    /// As [`PasswordHasher::new`]; also when the configured parameters are past `limits`
    /// (new hashes must verify).
    pub fn with_limits(config: HashingConfig, limits: VerifyLimits) -> Result<Self, HashError> {
        let params = Params::new(
            config.memory_kib,
            config.iterations,
            config.parallelism,
            Some(OUTPUT_LEN),
        )
        .map_err(|e| HashError::Config(format!("argon2 refuses the parameters: {e}")))?;
        if config.memory_kib > limits.max_memory_kib
            || config.iterations > limits.max_iterations
            || config.parallelism > limits.max_parallelism
        {
            return Err(HashError::Config(format!(
                "m={},t={},p={} is past the verify limits (m<={},t<={},p<={})",
                config.memory_kib,
                config.iterations,
                config.parallelism,
                limits.max_memory_kib,
                limits.max_iterations,
                limits.max_parallelism,
            )));
        }
        if config.queue_per_worker == 0 {
            return Err(HashError::Config(
                "queue_per_worker must be at least 1".into(),
            ));
        }
        let workers = match config.workers {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        let capacity = workers
            .checked_mul(config.queue_per_worker)
            .ok_or_else(|| HashError::Config("workers × queue_per_worker overflows".into()))?;

        // The dummy hash is made before any thread starts, so a failure leaves nothing behind.
        let mut dummy_password = Zeroizing::new([0u8; 32]);
        getrandom::fill(&mut *dummy_password).map_err(rng_failure)?;
        let dummy = Worker::new(&params, limits)?.hash(&*dummy_password)?;

        let (sender, receiver) = flume::bounded(capacity);
        let alive = Arc::new(());
        #[cfg(test)]
        let receiver_probe = Arc::downgrade(&alive);
        for n in 0..workers {
            let mut worker = Worker::new(&params, limits)?;
            let receiver = receiver.clone();
            let alive = Arc::clone(&alive);
            let (release_after, background) = (config.release_after, config.background_priority);
            // On failure `sender` is dropped on return, which stops the threads already started.
            std::thread::Builder::new()
                .name(format!("axum-users-hash-{n}"))
                .spawn(move || {
                    if background {
                        lower_priority();
                    }
                    worker.run(&receiver, release_after);
                    drop(alive);
                })
                .map_err(|e| HashError::Internal(format!("cannot start a hashing thread: {e}")))?;
        }

        Ok(Self {
            inner: Arc::new(Inner {
                config,
                limits,
                params,
                workers,
                sender,
                dummy,
                #[cfg(test)]
                receiver_probe,
            }),
        })
    }

    /// The settings the pool was made with (`workers` as given, 0 included).
    #[must_use]
    pub fn config(&self) -> &HashingConfig {
        &self.inner.config
    }

    /// The sanity limits applied to stored hashes.
    #[must_use]
    pub fn limits(&self) -> &VerifyLimits {
        &self.inner.limits
    }

    fn submit(&self, job: Job) -> Result<(), HashError> {
        // On failure the job, and with it the password, is dropped and wiped.
        self.inner.sender.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => HashError::Busy,
            TrySendError::Disconnected(_) => {
                HashError::Internal("the hashing pool has shut down".into())
            }
        })
    }

    /// Hashes `password` into a PHC string,
    /// `$argon2id$v=19$m=19456,t=2,p=1$<22-char salt>$<43-char hash>` at the default
    /// settings: 16-byte salt from the OS CSPRNG, 32-byte output.
    ///
    /// # Errors
    /// [`HashError::Busy`] at once when the queue is full; [`HashError::Internal`] if the
    /// worker died or the random generator failed.
    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Hash {
            password: Zeroizing::new(password.as_bytes().to_vec()),
            reply,
        })?;
        answer.await.map_err(|_| worker_lost())?
    }

    /// Checks `password` against a stored argon2 (id, i, d) PHC string or bcrypt hash.
    ///
    /// An unknown format, or parameters past the [`VerifyLimits`], gives
    /// `Verified { ok: false, needs_rehash: false }` and an error log (never containing the
    /// password or the hash). `needs_rehash` is [`PasswordHasher::needs_rehash`] when `ok`.
    ///
    /// # Errors
    /// [`HashError::Busy`] at once when the queue is full; [`HashError::Internal`] if the
    /// worker died.
    pub async fn verify(&self, password: &str, stored: &str) -> Result<Verified, HashError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Verify {
            password: Zeroizing::new(password.as_bytes().to_vec()),
            stored: stored.to_owned(),
            reply,
        })?;
        let ok = answer.await.map_err(|_| worker_lost())?;
        Ok(Verified {
            ok,
            needs_rehash: ok && self.needs_rehash(stored),
        })
    }

    /// One verification against the start-up dummy hash: the cost of a real check, for
    /// logins with unknown emails (§7.4 step 2).
    ///
    /// # Errors
    /// As [`PasswordHasher::verify`].
    pub async fn verify_dummy(&self, password: &str) -> Result<(), HashError> {
        self.verify(password, &self.inner.dummy).await.map(|_| ())
    }

    /// The start-up dummy hash (a hash of random bytes at the current settings), standing in
    /// for a stored hash where an address has none.
    pub(crate) fn dummy_hash(&self) -> &str {
        &self.inner.dummy
    }

    /// Whether a stored hash should be replaced by one at the current settings (§11):
    /// bcrypt, argon2i or argon2d, a version other than 19, or memory × iterations below
    /// the configured memory × iterations. A stronger hash is kept (FastAPI Users'
    /// m=65536,t=3,p=4 is not rehashed); an unreadable one gives `false`.
    #[must_use]
    pub fn needs_rehash(&self, stored: &str) -> bool {
        match bcrypt_shape(stored) {
            Some(Bcrypt::Cost(_)) => return true,
            Some(Bcrypt::Malformed) => return false,
            None => {}
        }
        let Ok(parsed) = PasswordHash::new(stored) else {
            return false;
        };
        if Algorithm::new(parsed.algorithm.as_str()).is_err() {
            return false;
        }
        if parsed.algorithm != ARGON2ID_IDENT || parsed.version != Some(Version::V0x13.into()) {
            return true;
        }
        let Ok(params) = Params::try_from(&parsed) else {
            return false;
        };
        let cost = |p: &Params| u64::from(p.m_cost()) * u64::from(p.t_cost());
        cost(&params) < cost(&self.inner.params)
    }

    /// A `Weak` that dies when every worker has exited.
    #[cfg(test)]
    fn receiver_probe(&self) -> std::sync::Weak<()> {
        self.inner.receiver_probe.clone()
    }
}

/// Puts the calling (hashing) thread behind request handling: on Linux, the lowest priority
/// of the normal policy (nice 19).
///
/// Not `SCHED_IDLE`: a `SCHED_IDLE` thread gets no CPU at all while other work keeps every
/// core busy, and one preempted while it holds a lock that request threads also take (the
/// allocator's, the kernel's memory-map lock while it maps or frees its buffer, the job
/// channel's, the runtime's wake queue) stalls them for as long (on PostgreSQL, where the
/// database's processes keep the cores busy, logins waited up to 10 s and a `/users/me` 0.9 s
/// in a login flood). At nice 19 any request thread that wakes up still preempts a hash, and
/// the hash keeps a small share of the CPU.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        use thread_priority::{
            NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
            set_thread_priority_and_policy, thread_native_id,
        };
        if let Err(e) = set_thread_priority_and_policy(
            thread_native_id(),
            ThreadPriority::Min,
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Other),
        ) {
            tracing::warn!(error = %e, "could not lower the priority of a hashing thread");
        }
    }
}

fn worker_lost() -> HashError {
    HashError::Internal("a hashing worker stopped before answering".into())
}

fn rng_failure(e: getrandom::Error) -> HashError {
    HashError::Internal(format!("the OS random generator failed: {e}"))
}

/// The state of one pool thread.
struct Worker {
    argon2: Argon2<'static>,
    params_string: ParamsString,
    limits: VerifyLimits,
    /// argon2 memory, reused from job to job; empty until the first job.
    memory: Vec<Block>,
    /// Size of `memory` for the configured parameters.
    base_blocks: usize,
}

impl Worker {
    fn new(params: &Params, limits: VerifyLimits) -> Result<Self, HashError> {
        Ok(Self {
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone()),
            params_string: ParamsString::try_from(params)
                .map_err(|e| HashError::Config(e.to_string()))?,
            limits,
            memory: Vec::new(),
            base_blocks: params.block_count(),
        })
    }

    fn run(&mut self, receiver: &Receiver<Job>, release_after: Option<Duration>) {
        loop {
            let job = match release_after {
                Some(idle) if !self.memory.is_empty() => match receiver.recv_timeout(idle) {
                    Ok(job) => job,
                    Err(RecvTimeoutError::Timeout) => {
                        // Idle: give the memory back until the next job.
                        self.memory = Vec::new();
                        continue;
                    }
                    // Every sender is gone: the pool was dropped.
                    Err(RecvTimeoutError::Disconnected) => return,
                },
                _ => match receiver.recv() {
                    Ok(job) => job,
                    Err(_) => return,
                },
            };
            if catch_unwind(AssertUnwindSafe(|| self.process(job))).is_err() {
                // The reply was dropped with the job, so the caller gets `Internal`.
                tracing::error!("a password hashing job panicked");
                self.memory = Vec::new();
            }
            self.release_extra_memory();
        }
    }

    fn process(&mut self, job: Job) {
        match job {
            Job::Hash { password, reply } => {
                // Nobody waits any more (a dropped request): skip the work.
                if !reply.is_closed() {
                    let _ = reply.send(self.hash(&password));
                }
            }
            Job::Verify {
                password,
                stored,
                reply,
            } => {
                if !reply.is_closed() {
                    let _ = reply.send(self.verify(&password, &stored));
                }
            }
        }
    }

    /// Shrinks the buffer back to the configured size after a larger verification.
    fn release_extra_memory(&mut self) {
        if self.memory.capacity() > self.base_blocks {
            self.memory.truncate(self.base_blocks);
            self.memory.shrink_to_fit();
        }
    }

    fn hash(&mut self, password: &[u8]) -> Result<String, HashError> {
        let mut salt = [0u8; Salt::RECOMMENDED_LENGTH];
        getrandom::fill(&mut salt).map_err(rng_failure)?;
        let mut out = Zeroizing::new([0u8; OUTPUT_LEN]);
        let memory = blocks_of(&mut self.memory, self.base_blocks).map_err(HashError::Internal)?;
        self.argon2
            .hash_password_into_with_memory(password, &salt, &mut *out, memory)
            .map_err(|e| HashError::Internal(format!("argon2 failed: {e}")))?;
        let phc = PasswordHash {
            algorithm: ARGON2ID_IDENT,
            version: Some(Version::V0x13.into()),
            params: self.params_string.clone(),
            salt: Some(Salt::new(&salt).map_err(|e| HashError::Internal(e.to_string()))?),
            hash: Some(Output::new(&*out).map_err(|e| HashError::Internal(e.to_string()))?),
        };
        Ok(phc.to_string())
    }

    fn verify(&mut self, password: &[u8], stored: &str) -> bool {
        match self.try_verify(password, stored) {
            Ok(ok) => ok,
            Err(reason) => {
                // Never the password nor the hash: only what was wrong with it.
                tracing::error!(%reason, "a stored password hash was refused");
                false
            }
        }
    }

    /// `Ok(matches)` for a readable hash within the limits, else why it was refused.
    fn try_verify(&mut self, password: &[u8], stored: &str) -> Result<bool, String> {
        if let Some(shape) = bcrypt_shape(stored) {
            let Bcrypt::Cost(cost) = shape else {
                return Err("malformed bcrypt hash".into());
            };
            if cost > self.limits.max_bcrypt_cost {
                return Err(format!(
                    "bcrypt cost {cost} is past the limit {}",
                    self.limits.max_bcrypt_cost
                ));
            }
            // As the library that made it: only the first 72 bytes count.
            let used = &password[..password.len().min(BCRYPT_MAX_PASSWORD_BYTES)];
            return bcrypt::verify(used, stored)
                .map_err(|e| format!("unreadable bcrypt hash: {e}"));
        }

        let parsed = PasswordHash::new(stored).map_err(|_| "unknown password hash format")?;
        let algorithm = Algorithm::new(parsed.algorithm.as_str())
            .map_err(|_| "unknown password hash algorithm")?;
        // A PHC string without `v=` is argon2 version 1.0 (0x10), as in the reference code.
        let version = match parsed.version {
            None => Version::V0x10,
            Some(v) => Version::try_from(v).map_err(|_| format!("unknown argon2 version {v}"))?,
        };
        let params =
            Params::try_from(&parsed).map_err(|e| format!("invalid argon2 parameters: {e}"))?;
        let (m, t, p) = (params.m_cost(), params.t_cost(), params.p_cost());
        let limits = self.limits;
        if m > limits.max_memory_kib || t > limits.max_iterations || p > limits.max_parallelism {
            return Err(format!(
                "argon2 parameters m={m},t={t},p={p} are past the limits (m<={},t<={},p<={})",
                limits.max_memory_kib, limits.max_iterations, limits.max_parallelism
            ));
        }
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Err("argon2 hash without salt or output".into());
        };

        let blocks = params.block_count();
        let argon2 = Argon2::new(algorithm, version, params);
        let mut out = Zeroizing::new([0u8; Output::MAX_LENGTH]);
        let out = &mut out[..expected.len()];
        let memory = blocks_of(&mut self.memory, blocks)?;
        argon2
            .hash_password_into_with_memory(password, salt.as_ref(), out, memory)
            .map_err(|e| format!("argon2 failed: {e}"))?;
        // `Output` compares in constant time.
        Ok(Output::new(out).is_ok_and(|computed| computed == expected))
    }
}

/// The first `blocks` blocks of a worker's buffer, growing it if needed.
fn blocks_of(memory: &mut Vec<Block>, blocks: usize) -> Result<&mut [Block], String> {
    if let Some(extra) = blocks.checked_sub(memory.len()).filter(|n| *n > 0) {
        memory
            .try_reserve_exact(extra)
            .map_err(|e| format!("cannot allocate argon2 memory: {e}"))?;
        memory.resize(blocks, Block::new());
    }
    Ok(&mut memory[..blocks])
}

/// What a `$2a$`/`$2b$`/`$2x$`/`$2y$`-prefixed stored hash looks like.
enum Bcrypt {
    /// `$2?$NN$` and 53 characters of bcrypt base64, with cost `NN`.
    Cost(u32),
    /// bcrypt-prefixed, but not that shape.
    Malformed,
}

/// `None` if `stored` is not bcrypt-prefixed.
fn bcrypt_shape(stored: &str) -> Option<Bcrypt> {
    let rest = ["$2a$", "$2b$", "$2x$", "$2y$"]
        .iter()
        .find_map(|prefix| stored.strip_prefix(prefix))?;
    match rest.as_bytes() {
        [tens @ b'0'..=b'9', units @ b'0'..=b'9', b'$', tail @ ..]
            if tail.len() == 53
                && tail
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'/')) =>
        {
            Some(Bcrypt::Cost(
                u32::from(tens - b'0') * 10 + u32::from(units - b'0'),
            ))
        }
        _ => Some(Bcrypt::Malformed),
    }
}

/// The built-in password policy (§7.6): used wherever a password is set (register, reset,
/// PATCH), before the `validate_password` hook.
///
/// Passwords are used byte for byte: no trimming, case folding, normalization or
/// truncation. An empty password is always refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Minimum length in Unicode scalar values (8 by default; below 1 counts as 1).
    pub min_chars: usize,
    /// Maximum length in UTF-8 bytes (4096 by default).
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
    /// `Ok`, or the reason the password is refused: `Password must be at most 4096 bytes
    /// long` (checked first) or `Password must be at least 8 characters long`, with the
    /// configured numbers.
    ///
    /// # Errors
    /// The reason text, for `detail.reason` of the 400 answer.
    pub fn check(&self, password: &str) -> Result<(), String> {
        if self.too_long(password) {
            return Err(format!(
                "Password must be at most {} bytes long",
                self.max_bytes
            ));
        }
        let min = self.min_chars.max(1);
        if password.chars().take(min).count() < min {
            return Err(format!("Password must be at least {min} characters long"));
        }
        Ok(())
    }

    /// Whether `password` is over the byte maximum: at login such a password fails at once,
    /// without hashing (§7.4 step 1).
    #[must_use]
    pub fn too_long(&self, password: &str) -> bool {
        password.len() > self.max_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordHasher as _;
    use std::time::{Duration, Instant};

    const SALT: &[u8] = b"0123456789abcdef";

    fn small(workers: usize) -> HashingConfig {
        HashingConfig {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
            workers,
            queue_per_worker: 64,
            ..HashingConfig::default()
        }
    }

    fn pool(config: HashingConfig) -> PasswordHasher {
        PasswordHasher::new(config).expect("pool")
    }

    /// A PHC string made directly with the argon2 crate (as pwdlib/argon2-cffi would).
    fn argon2_phc(
        algorithm: Algorithm,
        version: Version,
        m: u32,
        t: u32,
        p: u32,
        password: &str,
    ) -> String {
        let params = Params::new(m, t, p, Some(32)).expect("params");
        Argon2::new(algorithm, version, params)
            .hash_password_with_salt(password.as_bytes(), SALT)
            .expect("hash")
            .to_string()
    }

    fn yes(needs_rehash: bool) -> Verified {
        Verified {
            ok: true,
            needs_rehash,
        }
    }

    const NO: Verified = Verified {
        ok: false,
        needs_rehash: false,
    };

    #[test]
    fn defaults() {
        let config = HashingConfig::default();
        assert_eq!(
            (config.memory_kib, config.iterations, config.parallelism),
            (19456, 2, 1)
        );
        assert_eq!((config.workers, config.queue_per_worker), (0, 64));
        let limits = VerifyLimits::default();
        assert_eq!(
            (
                limits.max_memory_kib,
                limits.max_iterations,
                limits.max_parallelism,
                limits.max_bcrypt_cost
            ),
            (1_048_576, 64, 64, 16)
        );
        assert_eq!(
            PasswordPolicy::default(),
            PasswordPolicy {
                min_chars: 8,
                max_bytes: 4096
            }
        );
    }

    #[tokio::test]
    async fn default_hash_format_and_round_trip() {
        let hasher = pool(HashingConfig {
            workers: 1,
            ..HashingConfig::default()
        });
        let hash = hasher
            .hash("correct horse battery staple")
            .await
            .expect("hash");
        let parts: Vec<&str> = hash.split('$').collect();
        assert_eq!(parts.len(), 6, "{hash}");
        assert_eq!(&parts[..4], ["", "argon2id", "v=19", "m=19456,t=2,p=1"]);
        assert_eq!((parts[4].len(), parts[5].len()), (22, 43));
        assert!(
            parts[4..].iter().all(|s| s
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')),
            "standard base64 without padding"
        );
        // It parses back as PHC with a 16-byte salt and a 32-byte output.
        let parsed = PasswordHash::new(&hash).expect("phc");
        assert_eq!(parsed.salt.map(|s| s.len()), Some(16));
        assert_eq!(parsed.hash.map(|h| h.len()), Some(32));
        assert_eq!(
            hasher
                .verify("correct horse battery staple", &hash)
                .await
                .expect("verify"),
            yes(false)
        );
    }

    #[tokio::test]
    async fn round_trip_wrong_password_and_fresh_salts() {
        let hasher = pool(small(2));
        let hash = hasher.hash("pässwörd").await.expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{hash}");
        assert_eq!(
            hasher.verify("pässwörd", &hash).await.expect("verify"),
            yes(false)
        );
        for wrong in ["pässwörd ", "Pässwörd", "passwörd", ""] {
            assert_eq!(
                hasher.verify(wrong, &hash).await.expect("verify"),
                NO,
                "{wrong:?}"
            );
        }
        assert_ne!(hash, hasher.hash("pässwörd").await.expect("hash"));
        // Passwords are used byte for byte, empty included.
        let empty = hasher.hash("").await.expect("hash");
        assert!(hasher.verify("", &empty).await.expect("verify").ok);
    }

    /// Made by the reference C library (libargon2 20190702, the code argon2-cffi bundles and
    /// pwdlib calls) at FastAPI Users' parameters, password `fastapi-users password`.
    const REFERENCE_ARGON2ID: &str = "$argon2id$v=19$m=65536,t=3,p=4$8GogDqFeZHxPa4WUHrqa/A$rMIjPOMJWp4IRS7MF7tZVfGPwLblz9gcQTJXPjg94ps";
    /// The same library, argon2i at m=8192,t=2,p=1.
    const REFERENCE_ARGON2I: &str = "$argon2i$v=19$m=8192,t=2,p=1$8GogDqFeZHxPa4WUHrqa/A$3+CD91bl5fBXdjoFM2qBQjqbIQfV3sEXBaZAteHzdeU";

    #[tokio::test]
    async fn fastapi_users_hash_verifies_and_is_kept() {
        let hasher = pool(HashingConfig {
            workers: 1,
            ..HashingConfig::default()
        });
        let password = "fastapi-users password";
        assert_eq!(
            hasher
                .verify(password, REFERENCE_ARGON2ID)
                .await
                .expect("verify"),
            yes(false)
        );
        assert_eq!(
            hasher
                .verify("fastapi-users passwore", REFERENCE_ARGON2ID)
                .await
                .expect("verify"),
            NO
        );
        assert!(!hasher.needs_rehash(REFERENCE_ARGON2ID));
        // argon2i from the same library verifies and is upgraded.
        assert_eq!(
            hasher
                .verify(password, REFERENCE_ARGON2I)
                .await
                .expect("verify"),
            yes(true)
        );
    }

    #[test]
    fn argon2_crate_matches_the_reference_format() {
        // Our hashes use the argon2 crate; at FastAPI Users' parameters, with the reference's
        // salt, it reproduces the reference string byte for byte.
        let reference = PasswordHash::new(REFERENCE_ARGON2ID).expect("phc");
        let salt = reference.salt.expect("salt");
        let params = Params::new(65536, 3, 4, Some(32)).expect("params");
        let ours = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_with_salt(b"fastapi-users password", &salt)
            .expect("hash")
            .to_string();
        assert_eq!(ours, REFERENCE_ARGON2ID);
    }

    #[tokio::test]
    async fn weaker_hashes_need_rehash() {
        let hasher = pool(HashingConfig {
            memory_kib: 8192,
            iterations: 2,
            ..small(1)
        });
        // Outdated: m=4096,t=1 is below m=8192,t=2.
        let weak = argon2_phc(Algorithm::Argon2id, Version::V0x13, 4096, 1, 1, "pw");
        assert_eq!(hasher.verify("pw", &weak).await.expect("verify"), yes(true));
        // needs_rehash only when the password matched.
        assert_eq!(hasher.verify("px", &weak).await.expect("verify"), NO);
        // Same memory × iterations, other shape: kept.
        let same = argon2_phc(Algorithm::Argon2id, Version::V0x13, 4096, 4, 2, "pw");
        assert_eq!(
            hasher.verify("pw", &same).await.expect("verify"),
            yes(false)
        );
        for algorithm in [Algorithm::Argon2i, Algorithm::Argon2d] {
            let other = argon2_phc(algorithm, Version::V0x13, 8192, 2, 1, "pw");
            assert_eq!(
                hasher.verify("pw", &other).await.expect("verify"),
                yes(true),
                "{other}"
            );
        }
        let old_version = argon2_phc(Algorithm::Argon2id, Version::V0x10, 8192, 2, 1, "pw");
        assert!(old_version.starts_with("$argon2id$v=16$"));
        assert_eq!(
            hasher.verify("pw", &old_version).await.expect("verify"),
            yes(true)
        );
        // No `v=` at all means version 0x10.
        let no_version = old_version.replacen("$v=16", "", 1);
        assert_eq!(
            hasher.verify("pw", &no_version).await.expect("verify"),
            yes(true)
        );
    }

    #[tokio::test]
    async fn bcrypt_verifies_and_needs_rehash() {
        let hasher = pool(small(1));
        let hash = bcrypt::hash("legacy-password", 4).expect("bcrypt");
        assert!(hash.starts_with("$2b$04$"));
        assert_eq!(
            hasher
                .verify("legacy-password", &hash)
                .await
                .expect("verify"),
            yes(true)
        );
        assert_eq!(
            hasher
                .verify("legacy-passwore", &hash)
                .await
                .expect("verify"),
            NO
        );
        for prefix in ["$2a$", "$2x$", "$2y$"] {
            let other = hash.replacen("$2b$", prefix, 1);
            assert_eq!(
                hasher
                    .verify("legacy-password", &other)
                    .await
                    .expect("verify"),
                yes(true)
            );
        }
        assert!(hasher.needs_rehash(&hash));
    }

    #[tokio::test]
    async fn bcrypt_uses_the_first_72_bytes() {
        let hasher = pool(small(1));
        let long = format!("{}{}", "a".repeat(72), "b".repeat(28));
        assert_eq!(long.len(), 100);
        let hash = bcrypt::hash(&long, 4).expect("bcrypt");
        assert!(hasher.verify(&long, &hash).await.expect("verify").ok);
        let same_prefix = format!("{}{}", "a".repeat(72), "c".repeat(28));
        assert!(hasher.verify(&same_prefix, &hash).await.expect("verify").ok);
        assert!(
            hasher
                .verify(&"a".repeat(72), &hash)
                .await
                .expect("verify")
                .ok
        );
        let differs_early = format!("{}{}", "a".repeat(71), "c".repeat(29));
        assert!(
            !hasher
                .verify(&differs_early, &hash)
                .await
                .expect("verify")
                .ok
        );
    }

    #[tokio::test]
    async fn refused_hashes_never_verify() {
        let hasher = pool(small(1));
        let good = argon2_phc(Algorithm::Argon2id, Version::V0x13, 1024, 1, 1, "pw");
        let tail = good.splitn(5, '$').nth(4).expect("salt$hash");
        let bcrypt_hash = bcrypt::hash("pw", 4).expect("bcrypt");
        let refused = [
            "plaintext".to_owned(),
            "pw".to_owned(),
            String::new(),
            format!("$argon2id$v=19$m=999999999,t=1,p=1${tail}"),
            format!("$argon2id$v=19$m=1024,t=65,p=1${tail}"),
            format!("$argon2id$v=19$m=1024,t=1,p=65${tail}"),
            format!("$argon2id$v=20$m=1024,t=1,p=1${tail}"),
            format!("$argon2id$v=19$m=1024,t=1,p=1,x=1${tail}"),
            "$argon2id$v=19$m=1024,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg".to_owned(),
            format!("$scrypt$ln=16,r=8,p=1${tail}"),
            bcrypt_hash.replacen("$04$", "$17$", 1),
            bcrypt_hash.replacen("$04$", "$99$", 1),
            bcrypt_hash[..59].to_owned(),
            format!("{bcrypt_hash}x"),
        ];
        for stored in &refused {
            assert_eq!(
                hasher.verify("pw", stored).await.expect("verify"),
                NO,
                "{stored}"
            );
        }
        assert!(hasher.verify("pw", &good).await.expect("verify").ok);
    }

    #[test]
    fn limits_are_checked_before_allocating() {
        let params = Params::new(1024, 1, 1, Some(32)).expect("params");
        let mut worker = Worker::new(&params, VerifyLimits::default()).expect("worker");
        let good = argon2_phc(Algorithm::Argon2id, Version::V0x13, 1024, 1, 1, "pw");
        let tail = good.splitn(5, '$').nth(4).expect("salt$hash");
        let absurd = format!("$argon2id$v=19$m=999999999,t=1,p=1${tail}");
        let started = Instant::now();
        assert!(!worker.verify(b"pw", &absurd));
        assert!(started.elapsed() < Duration::from_millis(100));
        assert_eq!(worker.memory.capacity(), 0, "nothing allocated");

        // A larger stored hash grows the buffer for one job, then it shrinks back.
        let larger = argon2_phc(Algorithm::Argon2id, Version::V0x13, 4096, 1, 1, "pw");
        assert!(worker.verify(b"pw", &larger));
        assert_eq!(worker.memory.len(), 4096);
        worker.release_extra_memory();
        assert_eq!(worker.memory.capacity(), params.block_count());
        assert!(worker.verify(b"pw", &good));
        assert_eq!(worker.memory.capacity(), params.block_count());
    }

    #[tokio::test]
    async fn needs_rehash_rules() {
        let hasher = pool(HashingConfig {
            memory_kib: 19456,
            iterations: 2,
            ..small(1)
        });
        let phc = |alg: &str, v: &str, m: u32, t: u32| {
            format!(
                "${alg}${v}m={m},t={t},p=1$MDEyMzQ1Njc4OWFiY2RlZg$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
            )
        };
        assert!(!hasher.needs_rehash(&phc("argon2id", "v=19$", 19456, 2)));
        assert!(!hasher.needs_rehash(&phc("argon2id", "v=19$", 65536, 3)));
        assert!(!hasher.needs_rehash(&phc("argon2id", "v=19$", 9728, 4)));
        assert!(hasher.needs_rehash(&phc("argon2id", "v=19$", 4096, 1)));
        assert!(hasher.needs_rehash(&phc("argon2id", "v=19$", 19456, 1)));
        assert!(hasher.needs_rehash(&phc("argon2i", "v=19$", 65536, 3)));
        assert!(hasher.needs_rehash(&phc("argon2d", "v=19$", 65536, 3)));
        assert!(hasher.needs_rehash(&phc("argon2id", "v=16$", 65536, 3)));
        assert!(hasher.needs_rehash(&phc("argon2id", "", 65536, 3)));
        assert!(!hasher.needs_rehash("plaintext"));
        assert!(hasher.needs_rehash(&bcrypt::hash("pw", 4).expect("bcrypt")));
        assert!(!hasher.needs_rehash("$2b$04$short"));
        assert!(!hasher.needs_rehash(&phc("scrypt", "", 65536, 3)));
    }

    #[test]
    fn policy_reasons() {
        let policy = PasswordPolicy::default();
        assert_eq!(policy.check("12345678"), Ok(()));
        assert_eq!(policy.check(" pass word "), Ok(()), "no trimming");
        assert_eq!(policy.check("éééééééé"), Ok(()), "8 characters, 16 bytes");
        let short = "Password must be at least 8 characters long";
        assert_eq!(policy.check("1234567").expect_err("short"), short);
        assert_eq!(policy.check("").expect_err("empty"), short);
        assert_eq!(
            policy
                .check("e\u{301}e\u{301}e\u{301}")
                .expect_err("6 scalars"),
            short
        );
        assert_eq!(policy.check(&"x".repeat(4096)), Ok(()));
        let long = "Password must be at most 4096 bytes long";
        assert_eq!(policy.check(&"x".repeat(4097)).expect_err("long"), long);
        assert_eq!(
            policy.check(&"é".repeat(2049)).expect_err("4098 bytes"),
            long
        );

        let custom = PasswordPolicy {
            min_chars: 12,
            max_bytes: 20,
        };
        assert_eq!(
            custom.check("12345678901").expect_err("short"),
            "Password must be at least 12 characters long"
        );
        assert_eq!(
            custom.check(&"x".repeat(21)).expect_err("long"),
            "Password must be at most 20 bytes long"
        );
        let zero = PasswordPolicy {
            min_chars: 0,
            max_bytes: 4096,
        };
        assert_eq!(
            zero.check("").expect_err("empty"),
            "Password must be at least 1 characters long"
        );
        assert_eq!(zero.check("x"), Ok(()));
    }

    #[test]
    fn too_long_counts_bytes() {
        let policy = PasswordPolicy::default();
        assert!(!policy.too_long(&"x".repeat(4096)));
        assert!(policy.too_long(&"x".repeat(4097)));
        assert!(!policy.too_long(&"€".repeat(1365)), "4095 bytes");
        assert!(policy.too_long(&"€".repeat(1366)), "4098 bytes");
        assert!(!policy.too_long(""));
    }

    #[test]
    fn invalid_configurations() {
        let refused = [
            HashingConfig {
                memory_kib: 4,
                ..small(1)
            },
            HashingConfig {
                iterations: 0,
                ..small(1)
            },
            HashingConfig {
                parallelism: 0,
                ..small(1)
            },
            HashingConfig {
                iterations: 65,
                ..small(1)
            },
            HashingConfig {
                memory_kib: 2_000_000,
                ..small(1)
            },
            HashingConfig {
                queue_per_worker: 0,
                ..small(1)
            },
            HashingConfig {
                workers: usize::MAX,
                ..small(1)
            },
        ];
        for config in refused {
            assert!(
                matches!(
                    PasswordHasher::new(config.clone()),
                    Err(HashError::Config(_))
                ),
                "{config:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy() {
        let hasher = pool(HashingConfig {
            memory_kib: 8192,
            iterations: 4,
            parallelism: 1,
            workers: 1,
            queue_per_worker: 1,
            ..HashingConfig::default()
        });
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let hasher = hasher.clone();
                tokio::spawn(async move { (i, hasher.hash(&format!("pw{i}")).await) })
            })
            .collect();
        let (mut busy, mut done) = (0, Vec::new());
        for task in tasks {
            match task.await.expect("task") {
                (i, Ok(hash)) => done.push((i, hash)),
                (_, Err(HashError::Busy)) => busy += 1,
                (_, Err(other)) => panic!("unexpected error: {other}"),
            }
        }
        assert!(busy >= 1, "busy {busy}");
        assert!(!done.is_empty(), "none succeeded");
        for (i, hash) in done {
            assert!(
                hasher
                    .verify(&format!("pw{i}"), &hash)
                    .await
                    .expect("verify")
                    .ok
            );
        }
        // The queue drained: the pool takes work again.
        hasher.hash("again").await.expect("hash after the flood");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sixteen_parallel_hashes() {
        let hasher = pool(small(4));
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let hasher = hasher.clone();
                tokio::spawn(async move {
                    let password = format!("password-{i}");
                    let hash = hasher.hash(&password).await.expect("hash");
                    let verified = hasher.verify(&password, &hash).await.expect("verify");
                    (hash, verified)
                })
            })
            .collect();
        let mut hashes = std::collections::HashSet::new();
        for task in tasks {
            let (hash, verified) = task.await.expect("task");
            assert_eq!(verified, yes(false));
            hashes.insert(hash);
        }
        assert_eq!(hashes.len(), 16);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn hashing_does_not_block_the_runtime() {
        let hasher = pool(HashingConfig {
            memory_kib: 8192,
            iterations: 3,
            ..small(2)
        });
        let hashes: Vec<_> = (0..4)
            .map(|_| {
                let hasher = hasher.clone();
                tokio::spawn(async move { hasher.hash("pw").await })
            })
            .collect();
        let mut ticks_while_hashing = 0;
        while !hashes.iter().all(tokio::task::JoinHandle::is_finished) {
            tokio::time::sleep(Duration::from_millis(1)).await;
            ticks_while_hashing += 1;
        }
        assert!(ticks_while_hashing >= 3, "ticks {ticks_while_hashing}");
        for hash in hashes {
            hash.await.expect("task").expect("hash");
        }
    }

    #[tokio::test]
    async fn dummy_is_at_the_current_settings() {
        let hasher = pool(small(1));
        assert!(
            hasher
                .inner
                .dummy
                .starts_with("$argon2id$v=19$m=1024,t=1,p=1$"),
            "{}",
            hasher.inner.dummy
        );
        assert!(!hasher.needs_rehash(&hasher.inner.dummy));
        hasher.verify_dummy("anything").await.expect("dummy verify");
        hasher.verify_dummy("").await.expect("dummy verify");
    }

    /// A background hashing thread runs under the normal policy at nice 19, never
    /// `SCHED_IDLE` (which can starve it while it holds a lock request threads need).
    #[cfg(target_os = "linux")]
    #[test]
    fn background_threads_run_at_nice_19_under_the_normal_policy() {
        let (nice, policy) = std::thread::spawn(|| {
            lower_priority();
            let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("stat");
            // The fields after the command name, which is in parentheses: field 3 comes first.
            let after = stat.rsplit_once(')').expect("comm").1;
            let fields: Vec<&str> = after.split_whitespace().collect();
            (fields[19 - 3].to_owned(), fields[41 - 3].to_owned())
        })
        .join()
        .expect("thread");
        assert_eq!(nice, "19");
        assert_eq!(policy, "0", "SCHED_OTHER");
    }

    /// Runs one hash on a worker, waits `idle`, stops it; whether it still holds memory.
    fn memory_kept_after(idle: Duration, release_after: Option<Duration>) -> bool {
        let params = Params::new(1024, 1, 1, Some(OUTPUT_LEN)).expect("params");
        let mut worker = Worker::new(&params, VerifyLimits::default()).expect("worker");
        let (sender, receiver) = flume::bounded(1);
        let (reply, answer) = oneshot::channel();
        let password = Zeroizing::new(b"a password".to_vec());
        sender.send(Job::Hash { password, reply }).expect("queued");
        let thread = std::thread::spawn(move || {
            worker.run(&receiver, release_after);
            worker
        });
        assert!(answer.blocking_recv().expect("answer").is_ok());
        std::thread::sleep(idle);
        drop(sender);
        !thread.join().expect("worker").memory.is_empty()
    }

    #[test]
    fn an_idle_worker_gives_its_memory_back() {
        let idle = Duration::from_millis(300);
        assert!(!memory_kept_after(idle, Some(Duration::from_millis(20))));
        assert!(memory_kept_after(idle, None));
        assert!(memory_kept_after(idle, Some(Duration::from_secs(30))));
    }

    #[tokio::test]
    async fn workers_exit_when_the_last_handle_drops() {
        let hasher = pool(small(3));
        let probe = hasher.receiver_probe();
        let clone = hasher.clone();
        drop(hasher);
        clone.hash("still running").await.expect("hash");
        drop(clone);
        let started = Instant::now();
        while probe.upgrade().is_some() {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "workers still alive"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[test]
    fn debug_shows_no_secrets() {
        let hasher = pool(small(1));
        let debug = format!("{hasher:?}");
        assert!(debug.contains("memory_kib: 1024"), "{debug}");
        assert!(!debug.contains("argon2id$"), "{debug}");
    }
}
