//! Device drivers: the kernel-facing ops tables (ops.rs), lib/test_hmm.c's dmirror driver (dmirror.rs), and
//! the three lane drivers built on it (lanes/), and mm/gup_test.c's test module (gup_test.rs).
pub(crate) mod dmirror;
pub(crate) mod gup_test;
pub(crate) mod lanes;
pub(crate) mod ops;
