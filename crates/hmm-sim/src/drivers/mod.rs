//! Device drivers: the kernel-facing ops tables (ops.rs), lib/test_hmm.c's dmirror driver (dmirror.rs), and
//! the three lane drivers built on it (lanes/).
pub(crate) mod dmirror;
pub(crate) mod lanes;
pub(crate) mod ops;
