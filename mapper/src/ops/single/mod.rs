//! Operations on one item: put, get, update, patch, delete, and the read-modify-write loop.

mod delete;
mod get;
mod patch;
mod put;
mod read_modify_write;
mod update;

pub use delete::Delete;
pub use get::Get;
pub use patch::Patch;
pub use put::Put;
pub use read_modify_write::ReadModifyWrite;
pub use update::Update;
