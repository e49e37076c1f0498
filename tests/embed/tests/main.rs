//! `Py_BytesMain` / `Py_Main`: a tiny host whose `main` is
//! `Py_BytesMain(argc, argv)` runs programs as the `python` command would.
//! The test re-runs this binary as that host (`EMBED_AS_PYTHON=1`).

use pyfacade_embed::ok;
use std::ffi::{CString, c_char, c_int};
use std::process::Command;

fn host_main() -> ! {
    let args: Vec<CString> = std::env::args().map(|a| CString::new(a).unwrap()).collect();
    let mut ptrs: Vec<*mut c_char> = args.iter().map(|a| a.as_ptr().cast_mut()).collect();
    ptrs.push(std::ptr::null_mut());
    // SAFETY: argc strings and a NULL terminator, as C's main gets them.
    let code = unsafe { pyo3::ffi::Py_BytesMain(args.len() as c_int, ptrs.as_mut_ptr()) };
    std::process::exit(code)
}

fn python(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.env("EMBED_AS_PYTHON", "1").args(args);
    // Only the oracle's PYTHONHOME: the flags tested here come from the command line.
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("PYTHON") && k != "PYTHONHOME" {
            cmd.env_remove(k);
        }
    }
    let out = if let Some(input) = stdin {
        use std::io::Write;
        let mut child = cmd.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    } else {
        cmd.output().unwrap()
    };
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn main() {
    if std::env::var_os("EMBED_AS_PYTHON").is_some() {
        host_main();
    }
    let (code, out, err) = python(&["-c", "import sys; print(sys.argv); raise SystemExit(3)", "a", "b"], None);
    assert_eq!((code, out.as_str()), (3, "['-c', 'a', 'b']\n"), "{err}");
    ok("Py_BytesMain -c: sys.argv, SystemExit code");

    let (code, out, err) = python(&["-c", "import json, sys; print(json.dumps(sys.flags.dont_write_bytecode))", "-B"], None);
    assert_eq!((code, out.as_str()), (0, "0\n"), "{err}");
    let (code, out, err) = python(&["-B", "-c", "import sys; print(sys.flags.dont_write_bytecode)"], None);
    assert_eq!((code, out.as_str()), (0, "1\n"), "{err}");
    ok("Py_BytesMain: options before -c only");

    let (code, _out, err) = python(&["-c", "def f():\n    1/0\nf()"], None);
    assert_eq!(code, 1);
    assert!(err.contains("ZeroDivisionError") && err.contains("Traceback"), "{err}");
    ok("Py_BytesMain: uncaught exception → traceback, exit code 1");

    let dir = std::env::temp_dir().join(format!("embed-main-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("prog.py");
    std::fs::write(&script, "import sys\nprint(sys.argv[1:], __name__)\n").unwrap();
    let (code, out, err) = python(&[script.to_str().unwrap(), "x"], None);
    assert_eq!((code, out.as_str()), (0, "['x'] __main__\n"), "{err}");
    std::fs::write(dir.join("embedmod.py"), "import sys\nprint('module', __name__, sys.argv[1:])\n").unwrap();
    // -m finds modules in the current directory.
    let out = Command::new(std::env::current_exe().unwrap()).current_dir(&dir).env("EMBED_AS_PYTHON", "1").args(["-m", "embedmod", "y"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "module __main__ ['y']\n", "{}", String::from_utf8_lossy(&out.stderr));
    ok("Py_BytesMain: script file and -m module");

    let (code, out, err) = python(&[], Some("print(6 * 7)\n"));
    assert_eq!((code, out.as_str()), (0, "42\n"), "{err}");
    ok("Py_BytesMain: program from standard input");

    let (code, _out, err) = python(&["-Z"], None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("-Z"), "{err}");
    ok("Py_BytesMain: unknown option → usage error, exit code 2");
    std::fs::remove_dir_all(&dir).ok();
}
