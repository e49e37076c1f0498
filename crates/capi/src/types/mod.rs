//! Type objects: the exported static builtin types (`PyLong_Type`, ...), the
//! exported singletons and `PyExc_*`, and type objects made on demand for
//! every other RustPython type that crosses into C.
#![allow(non_upper_case_globals)]

pub mod alloc;
pub mod heaptype;
pub mod members;
pub mod protocols;
pub mod slots;

use rustpython_vm::builtins::PyType;
use rustpython_vm::{AsObject, Py, VirtualMachine};
use std::cell::UnsafeCell;
use std::ffi::{CString, c_ulong};

use crate::abi::*;
use crate::bridge::{self, Kind, type_ptr};
use crate::objects::object as obj;

/// An exported data symbol C reads and writes in place.
#[repr(transparent)]
pub struct Static<T>(UnsafeCell<T>);
// SAFETY: mutated only during install (single-threaded) and by C under the GIL.
unsafe impl<T> Sync for Static<T> {}
impl<T> Static<T> {
    pub const fn zeroed() -> Self {
        // SAFETY: used only for C structs of integers, pointers and Option<fn>,
        // for which all-zero is a valid value.
        Self(UnsafeCell::new(unsafe { std::mem::zeroed() }))
    }
    pub const fn get(&self) -> *mut T {
        self.0.get()
    }
}

/// `&PyXxx_Type` as a `*mut PyTypeObject`.
macro_rules! static_type {
    ($name:ident) => {
        $crate::types::$name.get()
    };
}
pub(crate) use static_type;

macro_rules! static_types {
    ($($sym:ident => $field:ident),* $(,)?) => {
        $(
            #[unsafe(no_mangle)]
            pub static $sym: Static<PyTypeObject> = Static::zeroed();
        )*
        fn install_static_types(vm: &VirtualMachine) {
            let z = &vm.ctx.types;
            // Register all first so that fills can refer to each other.
            $( register_type($sym.get(), z.$field); )*
            $( fill_type(vm, $sym.get(), z.$field, Made::Static); )*
        }
    };
}

static_types! {
    PyType_Type => type_type,
    PyBaseObject_Type => object_type,
    PyLong_Type => int_type,
    PyBool_Type => bool_type,
    PyFloat_Type => float_type,
    PyComplex_Type => complex_type,
    PyUnicode_Type => str_type,
    PyBytes_Type => bytes_type,
    PyByteArray_Type => bytearray_type,
    PyTuple_Type => tuple_type,
    PyList_Type => list_type,
    PyDict_Type => dict_type,
    PySet_Type => set_type,
    PyFrozenSet_Type => frozenset_type,
    PySlice_Type => slice_type,
    PyRange_Type => range_type,
    PyModule_Type => module_type,
    PyCFunction_Type => builtin_function_or_method_type,
    PyCMethod_Type => builtin_method_type,
    PyMemoryView_Type => memoryview_type,
    PyProperty_Type => property_type,
    PySuper_Type => super_type,
    PyEllipsis_Type => ellipsis_type,
    _PyNone_Type => none_type,
    _PyNotImplemented_Type => not_implemented_type,
    PyCapsule_Type => capsule_type,
    PyFunction_Type => function_type,
    PyMethod_Type => bound_method_type,
    PyCode_Type => code_type,
    PyFrame_Type => frame_type,
    PyGen_Type => generator_type,
    PyCoro_Type => coroutine_type,
    PyAsyncGen_Type => async_generator,
    PyDictKeys_Type => dict_keys_type,
    PyDictValues_Type => dict_values_type,
    PyDictItems_Type => dict_items_type,
    PyDictIterKey_Type => dict_keyiterator_type,
    PyDictIterValue_Type => dict_valueiterator_type,
    PyDictIterItem_Type => dict_itemiterator_type,
    PyDictRevIterKey_Type => dict_reversekeyiterator_type,
    PyDictRevIterValue_Type => dict_reversevalueiterator_type,
    PyDictRevIterItem_Type => dict_reverseitemiterator_type,
    PyDictProxy_Type => mappingproxy_type,
    PyListIter_Type => list_iterator_type,
    PyListRevIter_Type => list_reverseiterator_type,
    PyTupleIter_Type => tuple_iterator_type,
    PySetIter_Type => set_iterator_type,
    PySeqIter_Type => iter_type,
    PyCallIter_Type => callable_iterator,
    PyByteArrayIter_Type => bytearray_iterator_type,
    PyBytesIter_Type => bytes_iterator_type,
    PyUnicodeIter_Type => str_iterator_type,
    PyRangeIter_Type => range_iterator_type,
    PyLongRangeIter_Type => long_range_iterator_type,
    PyMemoryViewIter_Type => memoryviewiterator_type,
    PyEnum_Type => enumerate_type,
    PyFilter_Type => filter_type,
    PyMap_Type => map_type,
    PyZip_Type => zip_type,
    PyReversed_Type => reverse_iter_type,
    PyStaticMethod_Type => staticmethod_type,
    PyClassMethod_Type => classmethod_type,
    PyCell_Type => cell_type,
    PyTraceBack_Type => traceback_type,
    PyWrapperDescr_Type => wrapper_descriptor_type,
    PyMethodDescr_Type => method_descriptor_type,
    PyClassMethodDescr_Type => classmethod_descriptor_type,
    PyGetSetDescr_Type => getset_type,
    PyMemberDescr_Type => member_descriptor_type,
    _PyMethodWrapper_Type => method_wrapper_type,
    _PyWeakref_RefType => weakref_type,
    _PyWeakref_ProxyType => weakproxy_type,
    _PyWeakref_CallableProxyType => weakcallableproxy_type,
    Py_GenericAliasType => generic_alias_type,
    _PyUnion_Type => union_type,
    _PyNamespace_Type => namespace_type,
    PyFrameLocalsProxy_Type => frame_locals_proxy_type,
    _PyAsyncGenASend_Type => async_generator_asend,
    _PyAsyncGenAThrow_Type => async_generator_athrow,
    _PyAsyncGenWrappedValue_Type => async_generator_wrapped_value,
    _PyCoroWrapper_Type => coroutine_wrapper_type,
    _PyAnextAwaitable_Type => anext_awaitable,
    _PyTemplate_Type => template_type,
    _PyTemplateIter_Type => template_iter_type,
    _PyInterpolation_Type => interpolation_type,
    _PyNoDefault_Type => typing_no_default_type,
}

/// Exported types whose RustPython counterparts live in modules rather than
/// the type zoo: resolved by importing them at install time.
macro_rules! module_types {
    ($($sym:ident => $expr:literal),* $(,)?) => {
        $(
            #[unsafe(no_mangle)]
            pub static $sym: Static<PyTypeObject> = Static::zeroed();
        )*
        fn install_module_types(vm: &VirtualMachine) {
            $( install_module_type(vm, $sym.get(), $expr); )*
        }
    };
}

module_types! {
    PyContext_Type => "__import__('_contextvars').Context",
    PyContextVar_Type => "__import__('_contextvars').ContextVar",
    PyContextToken_Type => "__import__('_contextvars').Token",
    PyODict_Type => "__import__('collections').OrderedDict",
    // The bootstrap stderr writer (objects/fileobject.rs): writes str to fd 1 or 2.
    PyStdPrinter_Type => "(lambda os: type('stderrprinter', (), {'__module__': 'builtins', '__slots__': ('_fd',), '__init__': lambda self, fd: object.__setattr__(self, '_fd', fd), 'write': lambda self, s: (os.write(self._fd, s.encode('utf-8', 'backslashreplace')), len(s))[1] if isinstance(s, str) else (_ for _ in ()).throw(TypeError('write() argument must be str, not ' + type(s).__name__)), 'fileno': lambda self: self._fd, 'flush': lambda self: None, 'isatty': lambda self: os.isatty(self._fd), 'closed': property(lambda self: False), 'mode': property(lambda self: 'w'), 'encoding': property(lambda self: 'utf-8'), '__repr__': lambda self: '<stdprinter(fd=%d) object at %#x>' % (self._fd, id(self))}))(__import__('os'))",
    PyODictKeys_Type => "type(__import__('collections').OrderedDict().keys())",
    PyODictValues_Type => "type(__import__('collections').OrderedDict().values())",
    PyODictItems_Type => "type(__import__('collections').OrderedDict().items())",
    PyODictIter_Type => "type(iter(__import__('collections').OrderedDict()))",
    // RustPython has no _pickle.PickleBuffer: the facade's own (objects/picklebufobject.rs).
    PyPickleBuffer_Type => "type('PickleBuffer', (), {'__slots__': ('_view', '_c', '__weakref__'), '__module__': 'pickle', '__doc__': 'Wrapper for potentially out-of-band buffers', '__init__': lambda self, buffer, /: (object.__setattr__(self, '_view', memoryview(buffer)), object.__setattr__(self, '_c', None))[0], '_checked': lambda self: self._view if self._view is not None else (_ for _ in ()).throw(ValueError('operation forbidden on released PickleBuffer object')), '__buffer__': lambda self, flags, /: memoryview(self._checked()), 'raw': lambda self: (lambda v: v.cast('B') if v.c_contiguous else (_ for _ in ()).throw(BufferError('cannot extract raw buffer from non-contiguous buffer')))(self._checked()), 'release': lambda self: (object.__setattr__(self, '_c', None), self._view is not None and self._view.release(), object.__setattr__(self, '_view', None))[0]})",
    // RustPython has no instancemethod: the facade's own (objects/classobject.rs).
    PyInstanceMethod_Type => "(lambda MT: type('instancemethod', (), {'__slots__': ('__func__',), '__module__': 'builtins', '__init__': lambda self, function: object.__setattr__(self, '__func__', function) if callable(function) else (_ for _ in ()).throw(TypeError('first argument must be callable')), '__call__': lambda self, /, *a, **k: self.__func__(*a, **k), '__get__': lambda self, obj, cls=None: self.__func__ if obj is None else MT(self.__func__, obj), '__getattr__': lambda self, name: getattr(object.__getattribute__(self, '__func__'), name), '__doc__': property(lambda self: self.__func__.__doc__)}))(type((lambda: 0).__get__(0)))",
}

/// Fills `tp` from the type `expr` evaluates to; if RustPython lacks it, the
/// object stays a valid, unmapped type object named after the expression.
fn install_module_type(vm: &VirtualMachine, tp: *mut PyTypeObject, expr: &str) {
    let ty = vm
        .run_block_expr(vm.new_scope_with_builtins(), expr)
        .ok()
        .and_then(|o| o.downcast::<PyType>().ok());
    match ty {
        Some(ty) => {
            register_type(tp, &ty);
            fill_type(vm, tp, &ty, Made::Static);
        }
        None => {
            // SAFETY: tp is one of our zeroed statics.
            unsafe {
                bridge::make_immortal(tp.cast());
                (*tp).ob_base.ob_base.ob_type = static_type!(PyType_Type);
                (*tp).tp_name = c"unavailable".as_ptr();
                (*tp).tp_flags = Py_TPFLAGS_READY | Py_TPFLAGS_IMMUTABLETYPE;
                (*tp).tp_base = static_type!(PyBaseObject_Type);
            }
        }
    }
}

/// `PyModuleDef_Type`: the type `PyModuleDef_Init` gives a module definition.
/// It has no RustPython counterpart; definitions never cross into Python.
#[unsafe(no_mangle)]
pub static PyModuleDef_Type: Static<PyTypeObject> = Static::zeroed();

// ---- singletons -------------------------------------------------------------

#[unsafe(no_mangle)]
pub static _Py_NoneStruct: Static<PyObject> = Static::zeroed();
#[unsafe(no_mangle)]
pub static _Py_NotImplementedStruct: Static<PyObject> = Static::zeroed();
#[unsafe(no_mangle)]
pub static _Py_EllipsisObject: Static<PyObject> = Static::zeroed();
/// `False`: a PyLongObject with the zero sign tag.
#[unsafe(no_mangle)]
pub static _Py_FalseStruct: Static<PyLongObject> = Static::zeroed();
/// `True`: a PyLongObject with one digit, 1.
#[unsafe(no_mangle)]
pub static _Py_TrueStruct: Static<PyLongObject> = Static::zeroed();

// ---- exceptions ---------------------------------------------------------------

macro_rules! exceptions {
    ($($sym:ident => $field:ident),* $(,)?) => {
        $(
            #[unsafe(no_mangle)]
            pub static mut $sym: *mut PyObject = std::ptr::null_mut();
        )*
        fn install_exceptions(vm: &VirtualMachine) {
            let e = &vm.ctx.exceptions;
            // SAFETY: written once at install, before any extension is loaded.
            unsafe { $( $sym = type_ptr(vm, e.$field).cast(); )* }
        }
    };
}

exceptions! {
    PyExc_BaseException => base_exception_type,
    PyExc_BaseExceptionGroup => base_exception_group,
    PyExc_Exception => exception_type,
    PyExc_SystemExit => system_exit,
    PyExc_KeyboardInterrupt => keyboard_interrupt,
    PyExc_GeneratorExit => generator_exit,
    PyExc_StopIteration => stop_iteration,
    PyExc_StopAsyncIteration => stop_async_iteration,
    PyExc_ArithmeticError => arithmetic_error,
    PyExc_FloatingPointError => floating_point_error,
    PyExc_OverflowError => overflow_error,
    PyExc_ZeroDivisionError => zero_division_error,
    PyExc_AssertionError => assertion_error,
    PyExc_AttributeError => attribute_error,
    PyExc_BufferError => buffer_error,
    PyExc_EOFError => eof_error,
    PyExc_ImportError => import_error,
    PyExc_ModuleNotFoundError => module_not_found_error,
    PyExc_LookupError => lookup_error,
    PyExc_IndexError => index_error,
    PyExc_KeyError => key_error,
    PyExc_MemoryError => memory_error,
    PyExc_NameError => name_error,
    PyExc_UnboundLocalError => unbound_local_error,
    PyExc_OSError => os_error,
    PyExc_EnvironmentError => os_error,
    PyExc_IOError => os_error,
    PyExc_BlockingIOError => blocking_io_error,
    PyExc_ChildProcessError => child_process_error,
    PyExc_ConnectionError => connection_error,
    PyExc_BrokenPipeError => broken_pipe_error,
    PyExc_ConnectionAbortedError => connection_aborted_error,
    PyExc_ConnectionRefusedError => connection_refused_error,
    PyExc_ConnectionResetError => connection_reset_error,
    PyExc_FileExistsError => file_exists_error,
    PyExc_FileNotFoundError => file_not_found_error,
    PyExc_InterruptedError => interrupted_error,
    PyExc_IsADirectoryError => is_a_directory_error,
    PyExc_NotADirectoryError => not_a_directory_error,
    PyExc_PermissionError => permission_error,
    PyExc_ProcessLookupError => process_lookup_error,
    PyExc_TimeoutError => timeout_error,
    PyExc_ReferenceError => reference_error,
    PyExc_RuntimeError => runtime_error,
    PyExc_NotImplementedError => not_implemented_error,
    PyExc_RecursionError => recursion_error,
    PyExc_PythonFinalizationError => python_finalization_error,
    PyExc_SyntaxError => syntax_error,
    PyExc_IndentationError => indentation_error,
    PyExc_TabError => tab_error,
    PyExc_SystemError => system_error,
    PyExc_TypeError => type_error,
    PyExc_ValueError => value_error,
    PyExc_UnicodeError => unicode_error,
    PyExc_UnicodeDecodeError => unicode_decode_error,
    PyExc_UnicodeEncodeError => unicode_encode_error,
    PyExc_UnicodeTranslateError => unicode_translate_error,
    PyExc_Warning => warning,
    PyExc_DeprecationWarning => deprecation_warning,
    PyExc_PendingDeprecationWarning => pending_deprecation_warning,
    PyExc_RuntimeWarning => runtime_warning,
    PyExc_SyntaxWarning => syntax_warning,
    PyExc_UserWarning => user_warning,
    PyExc_FutureWarning => future_warning,
    PyExc_ImportWarning => import_warning,
    PyExc_UnicodeWarning => unicode_warning,
    PyExc_BytesWarning => bytes_warning,
    PyExc_ResourceWarning => resource_warning,
    PyExc_EncodingWarning => encoding_warning,
}

/// Makes the static (C-owned, zeroed) type object `tp` the type object of
/// RustPython type `ty` (`PyStructSequence_InitType2`).
pub(crate) fn adopt_static_type(vm: &VirtualMachine, tp: *mut PyTypeObject, ty: &Py<PyType>) {
    register_type(tp, ty);
    fill_type(vm, tp, ty, Made::Static);
}

fn register_type(tp: *mut PyTypeObject, ty: &Py<PyType>) {
    // SAFETY: tp is one of our zeroed statics.
    unsafe { bridge::make_immortal(tp.cast()) };
    bridge::register_static(tp.cast(), ty.to_owned().into());
}

/// Makes the static objects and exceptions; called once per process.
pub fn install(vm: &VirtualMachine) {
    bridge::set_type_mirror_maker(heap_type_mirror);
    bridge::set_type_release(release_type);
    install_static_types(vm);
    // The builtin types whose instances cross most: their type objects are
    // found without the identity map (mirror creation looks them up).
    let t = &vm.ctx.types;
    let common = [
        t.str_type, t.int_type, t.float_type, t.tuple_type, t.list_type, t.dict_type, t.bytes_type, t.bool_type,
        t.set_type, t.type_type, t.object_type, t.builtin_function_or_method_type,
    ];
    for ty in common {
        bridge::register_common_type(type_ptr(vm, ty).cast(), ty.as_object());
    }
    // SAFETY: single-threaded install; the statics are ours.
    unsafe {
        let md = PyModuleDef_Type.get();
        bridge::make_immortal(md.cast());
        (*md).ob_base.ob_base.ob_type = static_type!(PyType_Type);
        (*md).tp_name = c"moduledef".as_ptr();
        (*md).tp_basicsize = size_of::<PyModuleDef>() as isize;
        (*md).tp_flags = Py_TPFLAGS_READY | Py_TPFLAGS_IMMUTABLETYPE;
        (*md).tp_base = static_type!(PyBaseObject_Type);

        let singles: [(*mut PyObject, rustpython_vm::PyObjectRef); 5] = [
            (_Py_NoneStruct.get(), vm.ctx.none()),
            (_Py_NotImplementedStruct.get(), vm.ctx.not_implemented()),
            (_Py_EllipsisObject.get(), vm.ctx.ellipsis.clone().into()),
            (_Py_FalseStruct.get().cast(), vm.ctx.new_bool(false).into()),
            (_Py_TrueStruct.get().cast(), vm.ctx.new_bool(true).into()),
        ];
        for (p, o) in singles {
            bridge::make_immortal(p);
            (*p).ob_type = type_ptr(vm, o.class());
            bridge::register_singleton(p, o);
        }
        (*_Py_FalseStruct.get()).lv_tag = 1;
        (*_Py_TrueStruct.get()).lv_tag = 1 << 3;
        (*_Py_TrueStruct.get()).ob_digit[0] = 1;
    }
    crate::objects::tupleobject::set_empty(bridge::pin_singleton(vm, vm.ctx.empty_tuple.as_object()));
    install_exceptions(vm);
    crate::objects::pyerrors::install_interpreter_errors(vm);
    install_module_types(vm);
}

/// Makes the type object of a RustPython type that has no static one
/// (classes defined in Python, exception types, other builtins). Builtin
/// types live for the whole process, and so do theirs (immortal); a class
/// created at run time gets a mortal one, freed with the class (see the
/// bridge's `typemirror`).
pub fn heap_type_mirror(vm: &VirtualMachine, ty: &Py<PyType>) -> *mut PyTypeObject {
    let p = bridge::alloc(size_of::<PyHeapTypeObject>(), Kind::Type, std::ptr::null_mut(), Some(ty.to_owned().into()));
    let mortal = ty.slots.flags.has_feature(rustpython_vm::types::PyTypeFlags::HEAPTYPE);
    bridge::register_mirror(ty.as_object(), p);
    fill_type(vm, p.cast(), ty, Made::Heap { mortal });
    if !mortal || !bridge::make_mortal(vm, p, ty) {
        // SAFETY: p is a fresh type object that is never freed.
        unsafe { bridge::make_immortal(p) };
    }
    p.cast()
}

/// A tuple builder holding new references to the type objects of `types`,
/// preceded by `first` without a reference if given (a type object's own
/// entry in its `tp_mro`, which [`release_type`] clears before the tuple is
/// released).
fn type_tuple(vm: &VirtualMachine, first: Option<*mut PyTypeObject>, types: &[rustpython_vm::PyRef<PyType>]) -> *mut PyObject {
    let n = first.is_some() as usize + types.len();
    let t = bridge::builders::new_tuple(static_type!(PyTuple_Type), n);
    let items = first.into_iter().map(|f| f.cast()).chain(types.iter().map(|ty| bridge::to_c(vm, ty.as_object())));
    for (i, item) in items.enumerate() {
        // SAFETY: t is a fresh tuple builder of n items; each slot is written once.
        unsafe { *t.cast::<u8>().add(crate::abi::TUPLE_ITEMS_OFFSET).cast::<*mut PyObject>().add(i) = item };
    }
    t
}

/// Releases what [`fill_type`] put into mortal type object `p` (the bridge
/// frees the allocation itself): its name, `tp_bases`, `tp_mro` (whose first
/// entry, `p` itself, holds no reference) and its native-type entry.
///
/// # Safety
/// `p` must be a mortal type object nobody references any more.
unsafe fn release_type(p: *mut PyObject) {
    // SAFETY: per the contract; the fields were set by fill_type.
    unsafe {
        let t = &mut *p.cast::<PyTypeObject>();
        let mro = std::mem::replace(&mut t.tp_mro, std::ptr::null_mut());
        if !mro.is_null() {
            let first = mro.cast::<u8>().add(crate::abi::TUPLE_ITEMS_OFFSET).cast::<*mut PyObject>();
            if *first == p {
                *first = std::ptr::null_mut();
            }
            bridge::decref(mro);
        }
        bridge::xdecref(std::mem::replace(&mut t.tp_bases, std::ptr::null_mut()));
        let name = std::mem::replace(&mut t.tp_name, std::ptr::null());
        if !name.is_null() {
            drop(CString::from_raw(name.cast_mut()));
        }
    }
    heaptype::forget_native_type(p.cast());
}

/// Size of the CPython instance layout for the builtin base `ty` derives from.
fn layout_of(vm: &VirtualMachine, ty: &Py<PyType>) -> (isize, isize) {
    let t = &vm.ctx.types;
    let table: [(&Py<PyType>, usize, usize); 11] = [
        (t.bool_type, 24, 4),
        (t.int_type, 24, 4),
        (t.float_type, size_of::<PyFloatObject>(), 0),
        (t.complex_type, size_of::<PyComplexObject>(), 0),
        (t.tuple_type, 24, 8),
        (t.list_type, size_of::<PyListObject>(), 0),
        (t.bytes_type, 33, 1),
        (t.str_type, 64, 0),
        (t.dict_type, size_of::<PyDictObject>(), 0),
        (t.set_type, size_of::<PySetObject>(), 0),
        (t.type_type, size_of::<PyHeapTypeObject>(), 40),
    ];
    for (base, size, item) in table {
        if ty.fast_issubclass(base) {
            return (size as isize, item as isize);
        }
    }
    if ty.fast_issubclass(t.frozenset_type) {
        return (size_of::<PySetObject>() as isize, 0);
    }
    if ty.fast_issubclass(vm.ctx.exceptions.base_exception_type) {
        return (size_of::<PyBaseExceptionObject>() as isize, 0);
    }
    if let Some(l) = bridge::inline_layout(ty) {
        return (l.size as isize, 0);
    }
    (size_of::<PyObject>() as isize, 0)
}

fn flags_of(vm: &VirtualMachine, ty: &Py<PyType>) -> c_ulong {
    let t = &vm.ctx.types;
    let rp = ty.slots.flags.load().bits() as c_ulong;
    // Bits RustPython numbers as CPython does.
    let mask = Py_TPFLAGS_SEQUENCE
        | Py_TPFLAGS_MAPPING
        | Py_TPFLAGS_DISALLOW_INSTANTIATION
        | Py_TPFLAGS_IMMUTABLETYPE
        | Py_TPFLAGS_HEAPTYPE
        | Py_TPFLAGS_BASETYPE
        | Py_TPFLAGS_METHOD_DESCRIPTOR
        | Py_TPFLAGS_IS_ABSTRACT;
    let mut f = (rp & mask) | Py_TPFLAGS_READY | Py_TPFLAGS_VALID_VERSION_TAG;
    if f & Py_TPFLAGS_HEAPTYPE == 0 {
        f |= Py_TPFLAGS_IMMUTABLETYPE;
    }
    let subclass_bits: [(&Py<PyType>, c_ulong); 8] = [
        (t.int_type, Py_TPFLAGS_LONG_SUBCLASS),
        (t.list_type, Py_TPFLAGS_LIST_SUBCLASS),
        (t.tuple_type, Py_TPFLAGS_TUPLE_SUBCLASS),
        (t.bytes_type, Py_TPFLAGS_BYTES_SUBCLASS),
        (t.str_type, Py_TPFLAGS_UNICODE_SUBCLASS),
        (t.dict_type, Py_TPFLAGS_DICT_SUBCLASS),
        (vm.ctx.exceptions.base_exception_type, Py_TPFLAGS_BASE_EXC_SUBCLASS),
        (t.type_type, Py_TPFLAGS_TYPE_SUBCLASS),
    ];
    for (base, bit) in subclass_bits {
        if ty.fast_issubclass(base) {
            f |= bit;
        }
    }
    // Containers and every class defined in Python take part in CPython's GC.
    let gc_bases = [t.list_type, t.dict_type, t.tuple_type, t.set_type, t.frozenset_type, t.type_type];
    if f & Py_TPFLAGS_HEAPTYPE != 0
        || gc_bases.iter().any(|b| ty.fast_issubclass(*b))
        || ty.fast_issubclass(vm.ctx.exceptions.base_exception_type)
    {
        f |= Py_TPFLAGS_HAVE_GC;
    }
    f
}

/// How a type object was made.
#[derive(Clone, Copy)]
enum Made {
    /// A static `PyTypeObject` (exported, or C-owned): no pre-header.
    Static,
    /// By the bridge, with the `PyHeapTypeObject` layout; a `mortal` one is
    /// freed with its class and lists itself in `tp_mro` without a reference.
    Heap { mortal: bool },
}

/// Fills a type object from its RustPython type.
fn fill_type(vm: &VirtualMachine, tp: *mut PyTypeObject, ty: &Py<PyType>, made: Made) {
    let mortal = matches!(made, Made::Heap { mortal: true });
    let meta = type_ptr(vm, ty.class());
    let name = CString::new(ty.slot_name().to_string()).unwrap_or_default();
    let (basicsize, itemsize) = layout_of(vm, ty);
    let flags = flags_of(vm, ty);
    let base = ty.base.deref().map(|b| type_ptr(vm, b)).unwrap_or(std::ptr::null_mut());
    // RustPython's `mro` starts with the type itself, as `__mro__` does.
    let mro_guard = ty.mro.read();
    let supers = match mro_guard.first() {
        Some(first) if first.is(ty) => &mro_guard[1..],
        _ => &mro_guard[..],
    };
    let (bases, mro) = if mortal {
        (type_tuple(vm, None, &ty.bases.read()), type_tuple(vm, Some(tp), supers))
    } else {
        let bases: Vec<rustpython_vm::PyObjectRef> = ty.bases.read().iter().map(|b| b.clone().into()).collect();
        let mut mro_full = vec![ty.to_owned().into()];
        mro_full.extend(supers.iter().map(|t| t.clone().into()));
        (bridge::to_c(vm, vm.ctx.new_tuple(bases).as_object()), bridge::to_c(vm, vm.ctx.new_tuple(mro_full).as_object()))
    };
    drop(mro_guard);
    let s = &ty.slots;
    // SAFETY: tp is a zeroed (or fresh) type object owned by the facade.
    unsafe {
        let t = &mut *tp;
        t.ob_base.ob_base.ob_type = meta;
        t.tp_name = name.into_raw();
        t.tp_basicsize = basicsize;
        t.tp_itemsize = itemsize;
        t.tp_flags = flags;
        t.tp_base = base;
        t.tp_bases = bases;
        t.tp_mro = mro;
        t.tp_dealloc = Some(bridge::dealloc);
        t.tp_free = Some(crate::objects::pymem::PyObject_Free);
        t.tp_repr = Some(obj::PyObject_Repr);
        t.tp_str = Some(obj::PyObject_Str);
        t.tp_getattro = Some(obj::PyObject_GetAttr);
        t.tp_setattro = Some(obj::PyObject_SetAttr);
        t.tp_richcompare = Some(obj::PyObject_RichCompare);
        if s.hash.load().is_some() {
            t.tp_hash = Some(obj::PyObject_Hash);
        }
        if s.call.load().is_some() {
            t.tp_call = Some(obj::PyObject_Call);
        }
        if s.iter.load().is_some() {
            t.tp_iter = Some(obj::PyObject_GetIter);
        }
        if s.iternext.load().is_some() {
            t.tp_iternext = Some(crate::objects::abstract_::slot_iternext);
        }
        if s.descr_get.load().is_some() {
            t.tp_descr_get = Some(crate::objects::descrobject::slot_descr_get);
        }
        if s.descr_set.load().is_some() {
            t.tp_descr_set = Some(crate::objects::descrobject::slot_descr_set);
        }
        // Type mirrors made by the bridge have the PyHeapTypeObject layout;
        // the exported static type objects do not (no pre-header).
        protocols::fill(tp, ty, matches!(made, Made::Heap { .. }));
        if ty.is(vm.ctx.types.object_type) {
            t.tp_new = Some(alloc::object_tp_new);
            t.tp_alloc = Some(alloc::PyType_GenericAlloc);
        } else if [
            vm.ctx.exceptions.base_exception_type,
            vm.ctx.types.dict_type,
            vm.ctx.types.set_type,
            vm.ctx.types.frozenset_type,
            vm.ctx.types.float_type,
            vm.ctx.types.complex_type,
        ]
        .iter()
        .any(|b| ty.fast_issubclass(*b))
        {
            // Builtins an extension type may extend (PyO3: exceptions, PyDict,
            // PySet, PyFrozenSet, PyFloat, PyComplex).
            t.tp_new = Some(alloc::builtin_tp_new);
        }
    }
    heaptype::inherit_native(tp);
}
