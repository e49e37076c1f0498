//! `genericaliasobject.h`: `Py_GenericAlias`.

use rustpython_vm::AsObject;

use super::{new_ref, rp};
use crate::abi::PyObject;

/// New reference to `types.GenericAlias(origin, args)` (as `list[int]`).
#[unsafe(no_mangle)]
pub extern "C" fn Py_GenericAlias(origin: *mut PyObject, args: *mut PyObject) -> *mut PyObject {
    new_ref("Py_GenericAlias", |vm| {
        let (o, a) = (rp(vm, origin)?, rp(vm, args)?);
        vm.ctx.types.generic_alias_type.as_object().call((o, a), vm)
    })
}
