//! Kernel mm code paths, one module per source file.
pub mod filemap;
pub mod gup;
pub mod hmm;
pub mod hmm_pfn;
pub mod huge_memory;
pub mod memory;
pub mod migrate;
pub mod migrate_device;
pub mod mmap;
pub mod mmu_notifier;
pub mod mremap;
pub mod rmap;
pub mod shmem;
pub mod walk;
