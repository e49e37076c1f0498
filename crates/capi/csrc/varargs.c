/* Workers for the variadic C-API functions. The exported symbols
 * (PyErr_Format, Py_BuildValue, PyArg_ParseTuple, ...) are defined in Rust so
 * that both the pyfacade binary and libpyfacade.so export them; each forwards
 * its va_list to a pf_* worker here, which walks it in C and does everything
 * else through the facade's exported C-API. Semantics follow CPython 3.14:
 * Python/modsupport.c (Py_BuildValue), Python/getargs.c (PyArg_Parse*),
 * Objects/unicodeobject.c (PyUnicode_FromFormatV), Objects/call.c.
 */
#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <sys/types.h>

typedef struct _object PyObject;
typedef ssize_t Py_ssize_t;
typedef int (*converter)(PyObject *, void *);
/* CPython's Py_buffer and Py_complex (the layouts are ABI). */
typedef struct {
    void *buf;
    PyObject *obj;
    Py_ssize_t len, itemsize;
    int readonly, ndim;
    char *format;
    Py_ssize_t *shape, *strides, *suboffsets;
    void *internal;
} Py_buffer;
typedef struct { double real, imag; } Py_complex;
#define PyBUF_SIMPLE 0
#define PyBUF_WRITABLE 0x0001
extern int PyObject_GetBuffer(PyObject *, Py_buffer *, int);
extern void PyBuffer_Release(Py_buffer *);
extern int PyBuffer_IsContiguous(const Py_buffer *, char);
extern int PyBuffer_FillInfo(Py_buffer *, PyObject *, void *, Py_ssize_t, int, int);
extern Py_complex PyComplex_AsCComplex(PyObject *);
extern PyObject *PyComplex_FromCComplex(Py_complex);
extern PyObject *PyUnicode_FromWideChar(const wchar_t *, Py_ssize_t);
extern void PyErr_Clear(void);

/* The facade's exported API used here. */
extern PyObject *PyUnicode_DecodeUTF8(const char *, Py_ssize_t, const char *);
extern PyObject *PyUnicode_FromStringAndSize(const char *, Py_ssize_t);
extern const char *PyUnicode_AsUTF8AndSize(PyObject *, Py_ssize_t *);
extern PyObject *PyObject_Str(PyObject *);
extern PyObject *PyObject_Repr(PyObject *);
extern PyObject *PyObject_ASCII(PyObject *);
extern PyObject *PyObject_Type(PyObject *);
extern PyObject *PyType_GetFullyQualifiedName(PyObject *);
extern void Py_IncRef(PyObject *);
extern void Py_DecRef(PyObject *);
extern void PyErr_SetObject(PyObject *, PyObject *);
extern void PyErr_SetString(PyObject *, const char *);
extern PyObject *PyErr_Occurred(void);
extern int PyErr_WarnEx(PyObject *, const char *, Py_ssize_t);
extern PyObject *PyLong_FromLong(long);
extern PyObject *PyLong_FromUnsignedLong(unsigned long);
extern PyObject *PyLong_FromLongLong(long long);
extern PyObject *PyLong_FromUnsignedLongLong(unsigned long long);
extern PyObject *PyLong_FromSsize_t(Py_ssize_t);
extern long PyLong_AsLong(PyObject *);
extern long long PyLong_AsLongLong(PyObject *);
extern unsigned long long PyLong_AsUnsignedLongLongMask(PyObject *);
extern Py_ssize_t PyLong_AsSsize_t(PyObject *);
extern PyObject *PyFloat_FromDouble(double);
extern double PyFloat_AsDouble(PyObject *);
extern PyObject *PyBool_FromLong(long);
extern PyObject *PyBytes_FromStringAndSize(const char *, Py_ssize_t);
extern char *PyBytes_AsString(PyObject *);
extern Py_ssize_t PyBytes_Size(PyObject *);
extern PyObject *PyTuple_New(Py_ssize_t);
extern int PyTuple_SetItem(PyObject *, Py_ssize_t, PyObject *);
extern Py_ssize_t PyTuple_Size(PyObject *);
extern PyObject *PyTuple_GetItem(PyObject *, Py_ssize_t);
extern PyObject *PyList_New(Py_ssize_t);
extern int PyList_Append(PyObject *, PyObject *);
extern PyObject *PyList_AsTuple(PyObject *);
extern Py_ssize_t PyList_Size(PyObject *);
extern PyObject *PyList_GetItem(PyObject *, Py_ssize_t);
extern PyObject *PyDict_New(void);
extern int PyDict_SetItem(PyObject *, PyObject *, PyObject *);
extern PyObject *PyDict_GetItemString(PyObject *, const char *);
extern int PyDict_Next(PyObject *, Py_ssize_t *, PyObject **, PyObject **);
extern Py_ssize_t PyDict_Size(PyObject *);
extern PyObject *PyObject_Call(PyObject *, PyObject *, PyObject *);
extern PyObject *PyObject_GetAttrString(PyObject *, const char *);
extern PyObject *PyObject_GetAttr(PyObject *, PyObject *);
extern int PyObject_IsInstance(PyObject *, PyObject *);
extern int PyObject_IsTrue(PyObject *);
extern void *PyMem_Malloc(size_t);
extern void PyMem_Free(void *);
extern PyObject *PyErr_NoMemory(void);
extern PyObject *PyUnicode_AsEncodedString(PyObject *, const char *, const char *);
extern char *PyByteArray_AsString(PyObject *);
extern Py_ssize_t PyByteArray_Size(PyObject *);
extern Py_ssize_t PySequence_Size(PyObject *);
extern PyObject *PyNumber_Index(PyObject *);
extern PyObject *PySequence_GetItem(PyObject *, Py_ssize_t);
extern int PySequence_Check(PyObject *);
extern PyObject *PyExc_TypeError, *PyExc_SystemError, *PyExc_OverflowError, *PyExc_ValueError;
extern PyObject _Py_NoneStruct;

/* Facade-private type tests (no struct layouts are needed here). */
extern int _pyfacade_kind(PyObject *);
enum { K_OTHER, K_STR, K_BYTES, K_TUPLE, K_BYTEARRAY, K_INT };

/* ---- a growable UTF-8 buffer ---------------------------------------------- */

typedef struct {
    char *p;
    size_t len, cap;
} buf_t;

static int buf_put(buf_t *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 128;
        while (cap < b->len + n + 1) cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) return -1;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
    return 0;
}

static int buf_pad(buf_t *b, Py_ssize_t n, char c) {
    for (; n > 0; n--)
        if (buf_put(b, &c, 1) < 0) return -1;
    return 0;
}

static size_t utf8_encode(unsigned int cp, char out[4]) {
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) { out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12)); out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F)); return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18)); out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Number of code points in a UTF-8 prefix, and the byte length of the first
 * `maxchars` code points. */
static size_t utf8_prefix(const char *s, size_t n, Py_ssize_t maxchars, Py_ssize_t *nchars) {
    size_t i = 0;
    Py_ssize_t c = 0;
    while (i < n && (maxchars < 0 || c < maxchars)) {
        unsigned char u = (unsigned char)s[i];
        size_t w = u < 0x80 ? 1 : u < 0xE0 ? 2 : u < 0xF0 ? 3 : 4;
        if (i + w > n) w = n - i;
        i += w;
        c++;
    }
    *nchars = c;
    return i;
}

/* Appends UTF-8 text with CPython's width/precision rules (in characters). */
static int put_text(buf_t *b, const char *s, size_t n, Py_ssize_t width, Py_ssize_t prec, int left) {
    Py_ssize_t nchars;
    size_t bytes = utf8_prefix(s, n, prec, &nchars);
    Py_ssize_t pad = width > nchars ? width - nchars : 0;
    if (!left && buf_pad(b, pad, ' ') < 0) return -1;
    if (buf_put(b, s, bytes) < 0) return -1;
    if (left && buf_pad(b, pad, ' ') < 0) return -1;
    return 0;
}

static int put_object_text(buf_t *b, PyObject *str, Py_ssize_t width, Py_ssize_t prec, int left) {
    Py_ssize_t n;
    const char *s;
    if (!str) return -1;
    s = PyUnicode_AsUTF8AndSize(str, &n);
    if (!s) { Py_DecRef(str); return -1; }
    int r = put_text(b, s, (size_t)n, width, prec, left);
    Py_DecRef(str);
    return r;
}

/* ---- PyUnicode_FromFormat ----------------------------------------------------- */

PyObject *pf_unicode_from_format_v(const char *format, va_list vargs) {
    buf_t b = {0};
    va_list va;
    va_copy(va, vargs);
    const char *f = format;
    PyObject *result = NULL;
    if (buf_put(&b, "", 0) < 0) goto done;
    while (*f) {
        if (*f != '%') {
            const char *start = f;
            while (*f && *f != '%') f++;
            if (buf_put(&b, start, (size_t)(f - start)) < 0) goto done;
            continue;
        }
        const char *spec_start = f++;
        int left = 0, zero = 0, alt = 0;
        for (;; f++) {
            if (*f == '-') left = 1;
            else if (*f == '0') zero = 1;
            else if (*f == '#') alt = 1;
            else break;
        }
        Py_ssize_t width = -1, prec = -1;
        if (*f == '*') { width = va_arg(va, int); f++; if (width < 0) { left = 1; width = -width; } }
        else if (*f >= '0' && *f <= '9') { width = 0; while (*f >= '0' && *f <= '9') width = width * 10 + (*f++ - '0'); }
        if (*f == '.') {
            f++;
            if (*f == '*') { prec = va_arg(va, int); f++; }
            else { prec = 0; while (*f >= '0' && *f <= '9') prec = prec * 10 + (*f++ - '0'); }
        }
        int longflag = 0, longlong = 0, size_t_flag = 0, ptrdiff = 0, intmax = 0;
        if (*f == 'l') { if (f[1] == 'l') { longlong = 1; f += 2; } else { longflag = 1; f++; } }
        else if (*f == 'z') { size_t_flag = 1; f++; }
        else if (*f == 't') { ptrdiff = 1; f++; }
        else if (*f == 'j') { intmax = 1; f++; }
        char conv = *f ? *f++ : 0;
        char tmp[128], fmtbuf[32];
        switch (conv) {
        case '%':
            if (buf_put(&b, "%", 1) < 0) goto done;
            break;
        case 'c': {
            int ch = va_arg(va, int);
            if (ch < 0 || ch > 0x10ffff) {
                PyErr_SetString(PyExc_OverflowError, "character argument not in range(0x110000)");
                goto done;
            }
            char out[4];
            if (put_text(&b, out, utf8_encode((unsigned)ch, out), width, -1, left) < 0) goto done;
            break;
        }
        case 'd': case 'i': case 'u': case 'x': case 'X': case 'o': {
            /* Rebuild a printf spec for the integer conversion. */
            int k = 0;
            fmtbuf[k++] = '%';
            if (left) fmtbuf[k++] = '-';
            if (zero) fmtbuf[k++] = '0';
            if (alt) fmtbuf[k++] = '#';
            if (width >= 0) k += snprintf(fmtbuf + k, sizeof fmtbuf - k, "%zd", width);
            if (prec >= 0) k += snprintf(fmtbuf + k, sizeof fmtbuf - k, ".%zd", prec);
            const char *len = longlong ? "ll" : longflag ? "l" : size_t_flag ? "z" : ptrdiff ? "t" : intmax ? "j" : "";
            k += snprintf(fmtbuf + k, sizeof fmtbuf - k, "%s%c", len, conv == 'i' ? 'd' : conv);
            int is_signed = conv == 'd' || conv == 'i';
            int n;
            if (longlong) n = is_signed ? snprintf(tmp, sizeof tmp, fmtbuf, va_arg(va, long long)) : snprintf(tmp, sizeof tmp, fmtbuf, va_arg(va, unsigned long long));
            else if (longflag) n = is_signed ? snprintf(tmp, sizeof tmp, fmtbuf, va_arg(va, long)) : snprintf(tmp, sizeof tmp, fmtbuf, va_arg(va, unsigned long));
            else if (size_t_flag) n = is_signed ? snprintf(tmp, sizeof tmp, fmtbuf, va_arg(va, Py_ssize_t)) : snprintf(tmp, sizeof tmp, fmtbuf, va_arg(va, size_t));
            else if (ptrdiff) n = snprintf(tmp, sizeof tmp, fmtbuf, va_arg(va, ptrdiff_t));
            else if (intmax) n = is_signed ? snprintf(tmp, sizeof tmp, fmtbuf, va_arg(va, intmax_t)) : snprintf(tmp, sizeof tmp, fmtbuf, va_arg(va, uintmax_t));
            else n = is_signed ? snprintf(tmp, sizeof tmp, fmtbuf, va_arg(va, int)) : snprintf(tmp, sizeof tmp, fmtbuf, va_arg(va, unsigned int));
            if (n < 0 || buf_put(&b, tmp, (size_t)n) < 0) goto done;
            break;
        }
        case 'p': {
            int n = snprintf(tmp, sizeof tmp, "%p", va_arg(va, void *));
            /* CPython guarantees the 0x prefix. */
            if (n >= 2 && !(tmp[0] == '0' && (tmp[1] == 'x' || tmp[1] == 'X'))) {
                if (buf_put(&b, "0x", 2) < 0) goto done;
            }
            if (put_text(&b, tmp, (size_t)n, width, -1, left) < 0) goto done;
            break;
        }
        case 's': {
            const char *s = va_arg(va, const char *);
            if (!s) s = "(null)";
            if (put_text(&b, s, strlen(s), width, prec, left) < 0) goto done;
            break;
        }
        case 'U': {
            PyObject *o = va_arg(va, PyObject *);
            Py_IncRef(o);
            if (put_object_text(&b, o, width, prec, left) < 0) goto done;
            break;
        }
        case 'V': {
            PyObject *o = va_arg(va, PyObject *);
            const char *s = va_arg(va, const char *);
            if (o) {
                Py_IncRef(o);
                if (put_object_text(&b, o, width, prec, left) < 0) goto done;
            } else if (put_text(&b, s, strlen(s), width, prec, left) < 0) goto done;
            break;
        }
        case 'S':
            if (put_object_text(&b, PyObject_Str(va_arg(va, PyObject *)), width, prec, left) < 0) goto done;
            break;
        case 'R':
            if (put_object_text(&b, PyObject_Repr(va_arg(va, PyObject *)), width, prec, left) < 0) goto done;
            break;
        case 'A':
            if (put_object_text(&b, PyObject_ASCII(va_arg(va, PyObject *)), width, prec, left) < 0) goto done;
            break;
        case 'T': {
            PyObject *t = PyObject_Type(va_arg(va, PyObject *));
            if (!t) goto done;
            PyObject *name = PyType_GetFullyQualifiedName(t);
            Py_DecRef(t);
            if (put_object_text(&b, name, width, prec, left) < 0) goto done;
            break;
        }
        case 'N':
            if (put_object_text(&b, PyType_GetFullyQualifiedName(va_arg(va, PyObject *)), width, prec, left) < 0) goto done;
            break;
        default: {
            /* Unknown conversion: CPython raises SystemError. */
            char msg[96];
            snprintf(msg, sizeof msg, "pf_unicode_from_format_v() expects a valid format character, got '%.10s'", spec_start);
            PyErr_SetString(PyExc_SystemError, msg);
            goto done;
        }
        }
    }
    result = PyUnicode_DecodeUTF8(b.p, (Py_ssize_t)b.len, "replace");
done:
    va_end(va);
    free(b.p);
    return result;
}

/* ---- errors ----------------------------------------------------------------------- */

PyObject *pf_err_format_v(PyObject *exception, const char *format, va_list vargs) {
    PyObject *msg = pf_unicode_from_format_v(format, vargs);
    if (msg) {
        PyErr_SetObject(exception, msg);
        Py_DecRef(msg);
    }
    return NULL;
}

int pf_err_warn_format_v(PyObject *category, Py_ssize_t stack_level, const char *format, va_list va) {
    PyObject *msg = pf_unicode_from_format_v(format, va);
    if (!msg) return -1;
    const char *s = PyUnicode_AsUTF8AndSize(msg, NULL);
    int r = s ? PyErr_WarnEx(category, s, stack_level) : -1;
    Py_DecRef(msg);
    return r;
}

/* ---- Py_BuildValue ------------------------------------------------------------------- */

static PyObject *build_one(const char **pf, va_list *va);

/* Builds the items up to `end` into a new list (NULL on error). */
static PyObject *build_items(const char **pf, char end, va_list *va) {
    PyObject *items = PyList_New(0);
    if (!items) return NULL;
    for (;;) {
        char c = **pf;
        if (c == end) { if (end) (*pf)++; return items; }
        if (c == 0) {
            PyErr_SetString(PyExc_SystemError, "unmatched paren in format");
            Py_DecRef(items);
            return NULL;
        }
        if (c == ' ' || c == '\t' || c == ',' || c == ':') { (*pf)++; continue; }
        PyObject *v = build_one(pf, va);
        if (!v) { Py_DecRef(items); return NULL; }
        int r = PyList_Append(items, v);
        Py_DecRef(v);
        if (r < 0) { Py_DecRef(items); return NULL; }
    }
}

static PyObject *from_string(const char **pf, va_list *va, int as_bytes) {
    const char *s = va_arg(*va, const char *);
    Py_ssize_t n = -1;
    if (**pf == '#') { (*pf)++; n = va_arg(*va, Py_ssize_t); }
    if (!s) { Py_IncRef(&_Py_NoneStruct); return &_Py_NoneStruct; }
    if (n < 0) n = (Py_ssize_t)strlen(s);
    return as_bytes ? PyBytes_FromStringAndSize(s, n) : PyUnicode_DecodeUTF8(s, n, "strict");
}

static PyObject *build_one(const char **pf, va_list *va) {
    char c = *(*pf)++;
    switch (c) {
    case '(': {
        PyObject *l = build_items(pf, ')', va);
        if (!l) return NULL;
        PyObject *t = PyList_AsTuple(l);
        Py_DecRef(l);
        return t;
    }
    case '[':
        return build_items(pf, ']', va);
    case '{': {
        PyObject *l = build_items(pf, '}', va);
        if (!l) return NULL;
        Py_ssize_t n = PyList_Size(l);
        if (n % 2) {
            Py_DecRef(l);
            PyErr_SetString(PyExc_SystemError, "Bad dict format");
            return NULL;
        }
        PyObject *d = PyDict_New();
        for (Py_ssize_t i = 0; d && i < n; i += 2) {
            if (PyDict_SetItem(d, PyList_GetItem(l, i), PyList_GetItem(l, i + 1)) < 0) { Py_DecRef(d); d = NULL; }
        }
        Py_DecRef(l);
        return d;
    }
    case 'b': case 'B': case 'h': case 'i':
        return PyLong_FromLong(va_arg(*va, int));
    case 'H':
        return PyLong_FromLong((unsigned short)va_arg(*va, int));
    case 'I':
        return PyLong_FromUnsignedLong(va_arg(*va, unsigned int));
    case 'n':
        return PyLong_FromSsize_t(va_arg(*va, Py_ssize_t));
    case 'l':
        return PyLong_FromLong(va_arg(*va, long));
    case 'k':
        return PyLong_FromUnsignedLong(va_arg(*va, unsigned long));
    case 'L':
        return PyLong_FromLongLong(va_arg(*va, long long));
    case 'K':
        return PyLong_FromUnsignedLongLong(va_arg(*va, unsigned long long));
    case 'p':
        return PyBool_FromLong(va_arg(*va, int));
    case 'f': case 'd':
        return PyFloat_FromDouble(va_arg(*va, double));
    case 'c': {
        char ch = (char)va_arg(*va, int);
        return PyBytes_FromStringAndSize(&ch, 1);
    }
    case 'C': {
        char out[4];
        int cp = va_arg(*va, int);
        return PyUnicode_DecodeUTF8(out, (Py_ssize_t)utf8_encode((unsigned)cp, out), "strict");
    }
    case 's': case 'z': case 'U':
        return from_string(pf, va, 0);
    case 'D':
        return PyComplex_FromCComplex(*va_arg(*va, Py_complex *));
    case 'u': {
        const wchar_t *w = va_arg(*va, const wchar_t *);
        Py_ssize_t n = -1;
        if (**pf == '#') { (*pf)++; n = va_arg(*va, Py_ssize_t); }
        if (!w) { Py_IncRef(&_Py_NoneStruct); return &_Py_NoneStruct; }
        return PyUnicode_FromWideChar(w, n);
    }
    case 'y':
        return from_string(pf, va, 1);
    case 'N': case 'S': case 'O': {
        if (c == 'O' && **pf == '&') {
            (*pf)++;
            PyObject *(*fn)(void *) = va_arg(*va, PyObject *(*)(void *));
            void *arg = va_arg(*va, void *);
            return fn(arg);
        }
        PyObject *o = va_arg(*va, PyObject *);
        if (!o) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_SystemError, "NULL object passed to Py_BuildValue");
            return NULL;
        }
        if (c != 'N') Py_IncRef(o);
        return o;
    }
    default: {
        char msg[64];
        snprintf(msg, sizeof msg, "bad format char '%c' passed to Py_BuildValue", c);
        PyErr_SetString(PyExc_SystemError, msg);
        return NULL;
    }
    }
}

PyObject *pf_build_value_v(const char *format, va_list vargs) {
    va_list va;
    va_copy(va, vargs);
    const char *f = format;
    PyObject *items = build_items(&f, 0, &va);
    va_end(va);
    if (!items) return NULL;
    Py_ssize_t n = PyList_Size(items);
    PyObject *r;
    if (n == 0) { Py_IncRef(&_Py_NoneStruct); r = &_Py_NoneStruct; }
    else if (n == 1) { r = PyList_GetItem(items, 0); Py_IncRef(r); }
    else r = PyList_AsTuple(items);
    Py_DecRef(items);
    return r;
}

PyObject *pf_tuple_pack_v(Py_ssize_t n, va_list va) {
    PyObject *t = PyTuple_New(n);
    for (Py_ssize_t i = 0; t && i < n; i++) {
        PyObject *o = va_arg(va, PyObject *);
        Py_IncRef(o);
        if (PyTuple_SetItem(t, i, o) < 0) { Py_DecRef(t); t = NULL; }
    }
    return t;
}

/* ---- calls ----------------------------------------------------------------------------- */

PyObject *pf_call_function_v(PyObject *callable, const char *format, va_list va) {
    PyObject *args;
    if (!callable) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_SystemError, "NULL callable");
        return NULL;
    }
    if (!format || !*format) {
        args = PyTuple_New(0);
    } else {
        PyObject *v = pf_build_value_v(format, va);
        if (!v) return NULL;
        if (_pyfacade_kind(v) == K_TUPLE) {
            args = v;
        } else {
            args = PyTuple_New(1);
            if (args) PyTuple_SetItem(args, 0, v);
            else Py_DecRef(v);
        }
    }
    if (!args) return NULL;
    PyObject *r = PyObject_Call(callable, args, NULL);
    Py_DecRef(args);
    return r;
}

PyObject *pf_call_method_v(PyObject *obj, const char *name, const char *format, va_list va) {
    PyObject *m = PyObject_GetAttrString(obj, name);
    if (!m) return NULL;
    PyObject *r = pf_call_function_v(m, format, va);
    Py_DecRef(m);
    return r;
}

static PyObject *objargs_tuple(va_list va) {
    PyObject *l = PyList_New(0);
    PyObject *o;
    while (l && (o = va_arg(va, PyObject *)) != NULL) {
        if (PyList_Append(l, o) < 0) { Py_DecRef(l); l = NULL; }
    }
    if (!l) return NULL;
    PyObject *t = PyList_AsTuple(l);
    Py_DecRef(l);
    return t;
}

PyObject *pf_call_function_objargs_v(PyObject *callable, va_list va) {
    PyObject *args = objargs_tuple(va);
    if (!args) return NULL;
    PyObject *r = PyObject_Call(callable, args, NULL);
    Py_DecRef(args);
    return r;
}

PyObject *pf_call_method_objargs_v(PyObject *obj, PyObject *name, va_list va) {
    PyObject *m = PyObject_GetAttr(obj, name);
    if (!m) return NULL;
    PyObject *args = objargs_tuple(va);
    PyObject *r = args ? PyObject_Call(m, args, NULL) : NULL;
    if (args) Py_DecRef(args);
    Py_DecRef(m);
    return r;
}

/* ---- PyArg_Parse* ---------------------------------------------------------------------------- */

#define MAX_NESTING 8
typedef struct {
    const char *fname; /* function name after ':' (or NULL) */
    const char *custom; /* message after ';' (or NULL) */
    /* Item indexes while converting inside "(...)" groups, for messages. */
    int depth;
    Py_ssize_t items[MAX_NESTING];
    /* Buffers the 'es'/'et' units allocated: freed if the parse fails, as
     * CPython's cleanup list does (the caller owns them on success). */
    char ***allocated;
    int nallocated, capallocated;
} parse_ctx;

/* A TypeError naming the argument (and, inside "(...)" groups, the item, as
 * CPython's "argument 1, item 0 ..."), then `text`; the format's ';'
 * message replaces all of it. */
static void arg_error(parse_ctx *c, int pos, const char *text) {
    char msg[512], where[96] = "";
    size_t w = 0;
    for (int i = 0; i < c->depth && w < sizeof where; i++)
        w += snprintf(where + w, sizeof where - w, ", item %zd", c->items[i]);
    if (c->custom)
        snprintf(msg, sizeof msg, "%s", c->custom);
    else if (c->fname)
        snprintf(msg, sizeof msg, "%.100s() argument %d%s %.200s", c->fname, pos, where, text);
    else
        snprintf(msg, sizeof msg, "argument %d%s %.200s", pos, where, text);
    PyErr_SetString(PyExc_TypeError, msg);
}

static void arg_type_error(parse_ctx *c, int pos, const char *expected, PyObject *got) {
    char text[160];
    PyObject *t = PyObject_Type(got);
    PyObject *name = t ? PyType_GetFullyQualifiedName(t) : NULL;
    const char *tn = got == &_Py_NoneStruct ? "None" : name ? PyUnicode_AsUTF8AndSize(name, NULL) : "?";
    snprintf(text, sizeof text, "must be %.50s, not %.50s", expected, tn);
    arg_error(c, pos, text);
    if (name) Py_DecRef(name);
    if (t) Py_DecRef(t);
}

/* Records a buffer an 'es'/'et' unit allocated; -1 (MemoryError) if the
 * record itself cannot grow (the buffer is freed then). */
static int remember_allocation(parse_ctx *c, char **buffer) {
    if (c->nallocated == c->capallocated) {
        int cap = c->capallocated ? 2 * c->capallocated : 8;
        char ***p = realloc(c->allocated, (size_t)cap * sizeof *p);
        if (!p) {
            PyMem_Free(*buffer);
            *buffer = NULL;
            PyErr_NoMemory();
            return -1;
        }
        c->allocated = p;
        c->capallocated = cap;
    }
    c->allocated[c->nallocated++] = buffer;
    return 0;
}

/* After a parse: on failure frees what 'es'/'et' allocated (and resets the
 * caller's pointers); always frees the record. */
static void finish_allocations(parse_ctx *c, int ok) {
    for (int i = 0; !ok && i < c->nallocated; i++) {
        PyMem_Free(*c->allocated[i]);
        *c->allocated[i] = NULL;
    }
    free(c->allocated);
    c->allocated = NULL;
    c->nallocated = c->capallocated = 0;
}

static int range_error(const char *msg) {
    PyErr_SetString(PyExc_OverflowError, msg);
    return -1;
}

/* Converts one argument for the format unit at *pf; 0 on success. */
static int bad_format(char u) {
    char msg[80];
    snprintf(msg, sizeof msg, "bad format char '%c' passed to PyArg_Parse", u);
    PyErr_SetString(PyExc_SystemError, msg);
    return -1;
}

/* The buffer units 's*', 'z*', 'y*', 'w*': a Py_buffer the caller releases. */
static int convert_buffer(PyObject *arg, char u, va_list *va, parse_ctx *c, int pos) {
    Py_buffer *view = va_arg(*va, Py_buffer *);
    if (u == 'z' && arg == &_Py_NoneStruct)
        return PyBuffer_FillInfo(view, NULL, NULL, 0, 1, 0);
    if ((u == 's' || u == 'z') && _pyfacade_kind(arg) == K_STR) {
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(arg, &n);
        return s ? PyBuffer_FillInfo(view, arg, (void *)s, n, 1, 0) : -1;
    }
    if (PyObject_GetBuffer(arg, view, u == 'w' ? PyBUF_WRITABLE : PyBUF_SIMPLE) < 0) {
        PyErr_Clear();
        arg_type_error(c, pos, u == 'w' ? "read-write bytes-like object" : "bytes-like object", arg);
        return -1;
    }
    if (!PyBuffer_IsContiguous(view, 'C')) {
        PyBuffer_Release(view);
        arg_type_error(c, pos, "contiguous buffer", arg);
        return -1;
    }
    return 0;
}

/* 'es', 'et', 'es#', 'et#' (getargs.c): the argument encoded with
 * `encoding` (UTF-8 if NULL) into a buffer the unit allocates with
 * PyMem_Malloc and the caller frees with PyMem_Free — or, for the '#' forms
 * with a non-NULL *buffer, into the caller's buffer of *length bytes. 'es'
 * encodes str only; 'et' also takes bytes and bytearray as they are. */
static int convert_encoded(PyObject *arg, const char **pf, va_list *va, parse_ctx *c, int pos) {
    int recode = *(*pf)++ == 's';
    int hash = **pf == '#';
    if (hash) (*pf)++;
    const char *encoding = va_arg(*va, const char *);
    char **buffer = va_arg(*va, char **);
    Py_ssize_t *length = hash ? va_arg(*va, Py_ssize_t *) : NULL;
    if (!encoding) encoding = "utf-8";
    if (!buffer) {
        PyErr_SetString(PyExc_SystemError, "(buffer is NULL)");
        return -1;
    }
    if (hash && !length) {
        PyErr_SetString(PyExc_SystemError, "(buffer_len is NULL)");
        return -1;
    }
    int kind = _pyfacade_kind(arg);
    PyObject *s = NULL;
    const char *ptr;
    Py_ssize_t size;
    if (!recode && kind == K_BYTES) {
        ptr = PyBytes_AsString(arg);
        size = PyBytes_Size(arg);
    } else if (!recode && kind == K_BYTEARRAY) {
        ptr = PyByteArray_AsString(arg);
        size = PyByteArray_Size(arg);
    } else if (kind == K_STR) {
        s = PyUnicode_AsEncodedString(arg, encoding, NULL);
        if (!s) return -1; /* the codec's error stands, as in CPython */
        if (_pyfacade_kind(s) != K_BYTES) {
            Py_DecRef(s);
            PyErr_SetString(PyExc_TypeError, "encoder did not return a bytes object");
            return -1;
        }
        ptr = PyBytes_AsString(s);
        size = PyBytes_Size(s);
    } else {
        arg_type_error(c, pos, recode ? "str" : "str, bytes or bytearray", arg);
        return -1;
    }
    if (!ptr) {
        if (s) Py_DecRef(s);
        return -1;
    }
    int rc = 0;
    if (hash && *buffer) {
        /* The caller's buffer: *length is its size, NUL included. */
        if (size + 1 > *length) {
            char msg[160];
            snprintf(msg, sizeof msg, "encoded string too long (%zd, maximum length %zd)", size, *length - 1);
            PyErr_SetString(PyExc_ValueError, msg);
            rc = -1;
        } else {
            memcpy(*buffer, ptr, (size_t)size);
            (*buffer)[size] = 0;
            *length = size;
        }
    } else if (!hash && (Py_ssize_t)strlen(ptr) != size) {
        arg_type_error(c, pos, "encoded string without null bytes", arg);
        rc = -1;
    } else {
        char *out = PyMem_Malloc((size_t)size + 1);
        if (!out) {
            PyErr_NoMemory();
            rc = -1;
        } else {
            memcpy(out, ptr, (size_t)size);
            out[size] = 0;
            *buffer = out;
            if (length) *length = size;
            rc = remember_allocation(c, buffer);
        }
    }
    if (s) Py_DecRef(s);
    return rc;
}

static int convert_one(PyObject *arg, const char **pf, va_list *va, parse_ctx *c, int pos);

/* Characters that modify the unit before them ('s#', 'y*', 'O!', 'O&'),
 * and spaces, which formats may contain between units. */
static int is_modifier(char u) {
    return u == '#' || u == '*' || u == '!' || u == '&' || u == ' ';
}

/* Just past the letters of the unit starting at `f` (its modifiers not
 * included): 'es'/'et' are one unit, and so is a "(...)" group with all it
 * contains (to the end of the string if its ')' is missing). */
static const char *unit_end(const char *f) {
    if (*f == 'e' && (f[1] == 's' || f[1] == 't')) return f + 2;
    if (*f != '(') return f + 1;
    int depth = 0;
    do {
        depth += (*f == '(') - (*f == ')');
        f++;
    } while (depth > 0 && *f);
    return f;
}

/* A "(...)" group: `arg` must be a sequence (not str, bytes or bytearray)
 * with one item per unit inside, each converted by its unit. */
static int convert_group(PyObject *arg, const char **pf, va_list *va, parse_ctx *c, int pos) {
    const char *f = *pf; /* just after '(' */
    Py_ssize_t n = 0;
    while (*f && *f != ')') {
        if (is_modifier(*f)) { f++; continue; }
        f = unit_end(f);
        n++;
    }
    if (*f != ')') {
        PyErr_SetString(PyExc_SystemError, "missing ')' in getargs format");
        return -1;
    }
    if (c->depth >= MAX_NESTING) {
        PyErr_SetString(PyExc_SystemError, "too many tuple nesting levels in argument format string");
        return -1;
    }
    /* CPython takes any sequence but bytes (str and bytearray included). */
    if (_pyfacade_kind(arg) == K_BYTES || !PySequence_Check(arg)) {
        char expected[48];
        snprintf(expected, sizeof expected, "%zd-item sequence", n);
        arg_type_error(c, pos, expected, arg);
        return -1;
    }
    Py_ssize_t len = PySequence_Size(arg);
    if (len < 0) return -1;
    if (len != n) {
        char text[96];
        snprintf(text, sizeof text, "must be sequence of length %zd, not %zd", n, len);
        arg_error(c, pos, text);
        return -1;
    }
    int d = c->depth++;
    for (Py_ssize_t i = 0; i < n; i++) {
        while (**pf == ' ') (*pf)++;
        c->items[d] = i;
        PyObject *item = PySequence_GetItem(arg, i);
        if (!item) {
            PyErr_Clear();
            c->depth = d + 1;
            arg_error(c, pos, "is not retrievable");
            c->depth = d;
            return -1;
        }
        /* The item is borrowed from the sequence for the caller, as in
         * CPython (a tuple or list keeps it alive). */
        int r = convert_one(item, pf, va, c, pos);
        Py_DecRef(item);
        if (r < 0) { c->depth = d; return -1; }
    }
    c->depth = d;
    while (**pf == ' ') (*pf)++;
    (*pf)++; /* ')' */
    return 0;
}

static int convert_one(PyObject *arg, const char **pf, va_list *va, parse_ctx *c, int pos) {
    char u = *(*pf)++;
    switch (u) {
    case '(':
        return convert_group(arg, pf, va, c, pos);
    case 'e':
        if (**pf != 's' && **pf != 't') return bad_format(u);
        return convert_encoded(arg, pf, va, c, pos);
    case 'Y':
        if (_pyfacade_kind(arg) != K_BYTEARRAY) { arg_type_error(c, pos, "bytearray", arg); return -1; }
        *va_arg(*va, PyObject **) = arg;
        return 0;
    case 'b': {
        long v = PyLong_AsLong(arg);
        if (v == -1 && PyErr_Occurred()) return -1;
        if (v < 0) return range_error("unsigned byte integer is less than minimum");
        if (v > UCHAR_MAX) return range_error("unsigned byte integer is greater than maximum");
        *va_arg(*va, unsigned char *) = (unsigned char)v;
        return 0;
    }
    case 'B': {
        unsigned long long v = PyLong_AsUnsignedLongLongMask(arg);
        if (v == (unsigned long long)-1 && PyErr_Occurred()) return -1;
        *va_arg(*va, unsigned char *) = (unsigned char)v;
        return 0;
    }
    case 'h': {
        long v = PyLong_AsLong(arg);
        if (v == -1 && PyErr_Occurred()) return -1;
        if (v < SHRT_MIN) return range_error("signed short integer is less than minimum");
        if (v > SHRT_MAX) return range_error("signed short integer is greater than maximum");
        *va_arg(*va, short *) = (short)v;
        return 0;
    }
    case 'H': {
        unsigned long long v = PyLong_AsUnsignedLongLongMask(arg);
        if (v == (unsigned long long)-1 && PyErr_Occurred()) return -1;
        *va_arg(*va, unsigned short *) = (unsigned short)v;
        return 0;
    }
    case 'i': {
        long v = PyLong_AsLong(arg);
        if (v == -1 && PyErr_Occurred()) return -1;
        if (v < INT_MIN) return range_error("signed integer is less than minimum");
        if (v > INT_MAX) return range_error("signed integer is greater than maximum");
        *va_arg(*va, int *) = (int)v;
        return 0;
    }
    case 'I': {
        unsigned long long v = PyLong_AsUnsignedLongLongMask(arg);
        if (v == (unsigned long long)-1 && PyErr_Occurred()) return -1;
        *va_arg(*va, unsigned int *) = (unsigned int)v;
        return 0;
    }
    case 'l': {
        long v = PyLong_AsLong(arg);
        if (v == -1 && PyErr_Occurred()) return -1;
        *va_arg(*va, long *) = v;
        return 0;
    }
    case 'k': case 'K': {
        /* The bitfield units take ints only (no __index__), as in CPython. */
        if (_pyfacade_kind(arg) != K_INT) { arg_type_error(c, pos, "int", arg); return -1; }
        unsigned long long v = PyLong_AsUnsignedLongLongMask(arg);
        if (v == (unsigned long long)-1 && PyErr_Occurred()) return -1;
        if (u == 'k') *va_arg(*va, unsigned long *) = (unsigned long)v;
        else *va_arg(*va, unsigned long long *) = v;
        return 0;
    }
    case 'L': {
        long long v = PyLong_AsLongLong(arg);
        if (v == -1 && PyErr_Occurred()) return -1;
        *va_arg(*va, long long *) = v;
        return 0;
    }
    case 'n': {
        PyObject *index = PyNumber_Index(arg);
        if (!index) return -1;
        Py_ssize_t v = PyLong_AsSsize_t(index);
        Py_DecRef(index);
        if (v == -1 && PyErr_Occurred()) return -1;
        *va_arg(*va, Py_ssize_t *) = v;
        return 0;
    }
    case 'f': case 'd': {
        double v = PyFloat_AsDouble(arg);
        if (v == -1.0 && PyErr_Occurred()) return -1;
        if (u == 'f') *va_arg(*va, float *) = (float)v;
        else *va_arg(*va, double *) = v;
        return 0;
    }
    case 'p': {
        int v = PyObject_IsTrue(arg);
        if (v < 0) return -1;
        *va_arg(*va, int *) = v;
        return 0;
    }
    case 'c': {
        int k = _pyfacade_kind(arg);
        if (k == K_BYTES && PyBytes_Size(arg) == 1)
            *va_arg(*va, char *) = PyBytes_AsString(arg)[0];
        else if (k == K_BYTEARRAY && PyByteArray_Size(arg) == 1)
            *va_arg(*va, char *) = PyByteArray_AsString(arg)[0];
        else {
            arg_type_error(c, pos, "a byte string of length 1", arg);
            return -1;
        }
        return 0;
    }
    case 'C': {
        Py_ssize_t n;
        const char *s = _pyfacade_kind(arg) == K_STR ? PyUnicode_AsUTF8AndSize(arg, &n) : NULL;
        Py_ssize_t nchars = 0;
        if (s) utf8_prefix(s, (size_t)n, -1, &nchars);
        if (!s || nchars != 1) {
            arg_type_error(c, pos, "a unicode character", arg);
            return -1;
        }
        unsigned char b0 = (unsigned char)s[0];
        unsigned int cp = b0 < 0x80 ? b0 : b0 < 0xE0 ? (b0 & 0x1F) : b0 < 0xF0 ? (b0 & 0x0F) : (b0 & 0x07);
        for (Py_ssize_t i = 1; i < n; i++) cp = (cp << 6) | ((unsigned char)s[i] & 0x3F);
        *va_arg(*va, int *) = (int)cp;
        return 0;
    }
    case 'w':
        /* Only 'w*' exists (CPython dropped 'w' and 'w#'). */
        if (**pf != '*') return bad_format(u);
        /* fall through */
    case 's': case 'z': case 'y': {
        if (**pf == '*') {
            (*pf)++;
            return convert_buffer(arg, u, va, c, pos);
        }
        int hash = **pf == '#';
        if (hash) (*pf)++;
        const char **out = va_arg(*va, const char **);
        Py_ssize_t *len = hash ? va_arg(*va, Py_ssize_t *) : NULL;
        if (u == 'z' && arg == &_Py_NoneStruct) {
            *out = NULL;
            if (len) *len = 0;
            return 0;
        }
        const char *s;
        Py_ssize_t n;
        if (u == 'y') {
            if (_pyfacade_kind(arg) != K_BYTES) {
                /* CPython reports this through the buffer protocol. */
                PyObject *t = PyObject_Type(arg);
                PyObject *tn = t ? PyObject_GetAttrString(t, "__name__") : NULL;
                char msg[160];
                snprintf(msg, sizeof msg, "a bytes-like object is required, not '%.50s'", tn ? PyUnicode_AsUTF8AndSize(tn, NULL) : "?");
                PyErr_SetString(PyExc_TypeError, msg);
                if (tn) Py_DecRef(tn);
                if (t) Py_DecRef(t);
                return -1;
            }
            s = PyBytes_AsString(arg);
            n = PyBytes_Size(arg);
        } else {
            if (_pyfacade_kind(arg) != K_STR) { arg_type_error(c, pos, u == 'z' ? "str or None" : "str", arg); return -1; }
            s = PyUnicode_AsUTF8AndSize(arg, &n);
        }
        if (!s) return -1;
        if (!hash && (Py_ssize_t)strlen(s) != n) {
            PyErr_SetString(PyExc_ValueError, "embedded null character");
            return -1;
        }
        *out = s;
        if (len) *len = n;
        return 0;
    }
    case 'D': {
        Py_complex v = PyComplex_AsCComplex(arg);
        if (v.real == -1.0 && PyErr_Occurred()) return -1;
        *va_arg(*va, Py_complex *) = v;
        return 0;
    }
    case 'S': case 'U': {
        int want = u == 'S' ? K_BYTES : K_STR;
        if (_pyfacade_kind(arg) != want) { arg_type_error(c, pos, u == 'S' ? "bytes" : "str", arg); return -1; }
        *va_arg(*va, PyObject **) = arg;
        return 0;
    }
    case 'O': {
        if (**pf == '!') {
            (*pf)++;
            PyObject *type = va_arg(*va, PyObject *);
            PyObject **out = va_arg(*va, PyObject **);
            int r = PyObject_IsInstance(arg, type);
            if (r < 0) return -1;
            if (!r) {
                PyObject *tn = PyType_GetFullyQualifiedName(type);
                const char *s = tn ? PyUnicode_AsUTF8AndSize(tn, NULL) : "?";
                arg_type_error(c, pos, s, arg);
                if (tn) Py_DecRef(tn);
                return -1;
            }
            *out = arg;
            return 0;
        }
        if (**pf == '&') {
            (*pf)++;
            converter conv = va_arg(*va, converter);
            void *addr = va_arg(*va, void *);
            return conv(arg, addr) ? 0 : -1;
        }
        *va_arg(*va, PyObject **) = arg;
        return 0;
    }
    default:
        return bad_format(u);
    }
}

/* Skips the va_list slots of one format unit without converting (for
 * optional arguments that were not given). */
static void skip_one(const char **pf, va_list *va) {
    char u = *(*pf)++;
    switch (u) {
    case '(':
        while (**pf && **pf != ')') {
            if (**pf == ' ') { (*pf)++; continue; }
            skip_one(pf, va);
        }
        if (**pf == ')') (*pf)++;
        break;
    case 'e':
        (*pf)++; /* 's' or 't' */
        (void)va_arg(*va, void *);
        (void)va_arg(*va, void *);
        if (**pf == '#') { (*pf)++; (void)va_arg(*va, void *); }
        break;
    case 's': case 'z': case 'y': case 'w':
        (void)va_arg(*va, void *);
        if (**pf == '*') (*pf)++;
        else if (**pf == '#') { (*pf)++; (void)va_arg(*va, void *); }
        break;
    case 'O':
        (void)va_arg(*va, void *);
        if (**pf == '!' || **pf == '&') { (*pf)++; (void)va_arg(*va, void *); }
        break;
    default:
        (void)va_arg(*va, void *);
    }
}

/* Counts format units and splits off ':' / ';'. */
static void scan_format(const char *format, int *total, int *min, int *kwonly_at, parse_ctx *c) {
    *total = 0;
    *min = -1;
    *kwonly_at = -1;
    c->fname = NULL;
    c->custom = NULL;
    for (const char *f = format; *f;) {
        if (*f == ':') { c->fname = f + 1; break; }
        if (*f == ';') { c->custom = f + 1; break; }
        if (*f == '|') { if (*min < 0) *min = *total; f++; continue; }
        if (*f == '$') { if (*min < 0) *min = *total; *kwonly_at = *total; f++; continue; }
        if (is_modifier(*f)) { f++; continue; }
        f = unit_end(f);
        (*total)++;
    }
    if (*min < 0) *min = *total;
}

static int parse_with(PyObject *args, PyObject *kwargs, const char *format, char **kwlist, va_list *va, parse_ctx *cp) {
    int total, min, kwonly_at;
    scan_format(format, &total, &min, &kwonly_at, cp);
    const char *fn = cp->fname ? cp->fname : "function";
    if (_pyfacade_kind(args) != K_TUPLE) {
        PyErr_SetString(PyExc_SystemError, "new style getargs format but argument is not a tuple");
        return 0;
    }
    Py_ssize_t nargs = PyTuple_Size(args);
    Py_ssize_t maxpos = kwonly_at >= 0 ? kwonly_at : total;
    char msg[256];
    if (nargs > maxpos) {
        if (min == total && kwonly_at < 0)
            snprintf(msg, sizeof msg, "%.100s%s takes exactly %d argument%s (%zd given)", fn, cp->fname ? "()" : "", total, total == 1 ? "" : "s", nargs);
        else
            snprintf(msg, sizeof msg, "%.100s%s takes at most %zd %sargument%s (%zd given)", fn, cp->fname ? "()" : "", maxpos, kwlist ? "positional " : "", maxpos == 1 ? "" : "s", nargs);
        PyErr_SetString(PyExc_TypeError, msg);
        return 0;
    }
    Py_ssize_t nkw_used = 0;
    const char *f = format;
    for (int i = 0; i < total; i++) {
        while (*f == '|' || *f == '$' || *f == ' ') f++;
        PyObject *arg = NULL;
        if (i < nargs) arg = PyTuple_GetItem(args, i);
        if (kwlist && kwargs && kwlist[i] && kwlist[i][0]) {
            PyObject *kv = PyDict_GetItemString(kwargs, kwlist[i]);
            if (kv) {
                if (arg) {
                    snprintf(msg, sizeof msg, "argument for %.100s() given by name ('%.50s') and position (%d)", fn, kwlist[i], i + 1);
                    PyErr_SetString(PyExc_TypeError, msg);
                    return 0;
                }
                arg = kv;
                nkw_used++;
            }
        }
        if (!arg) {
            if (i < min) {
                if (kwlist && kwlist[i] && kwlist[i][0])
                    snprintf(msg, sizeof msg, "%.100s() missing required argument '%.50s' (pos %d)", fn, kwlist[i], i + 1);
                else if (min == total)
                    snprintf(msg, sizeof msg, "%.100s%s takes exactly %d argument%s (%zd given)", fn, cp->fname ? "()" : "", total, total == 1 ? "" : "s", nargs);
                else
                    snprintf(msg, sizeof msg, "%.100s%s takes at least %d argument%s (%zd given)", fn, cp->fname ? "()" : "", min, min == 1 ? "" : "s", nargs);
                PyErr_SetString(PyExc_TypeError, msg);
                return 0;
            }
            skip_one(&f, va);
            continue;
        }
        if (convert_one(arg, &f, va, cp, i + 1) < 0) return 0;
    }
    if (kwargs && PyDict_Size(kwargs) > nkw_used) {
        /* Find the keyword that matched nothing. */
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        while (PyDict_Next(kwargs, &pos, &k, &v)) {
            const char *ks = PyUnicode_AsUTF8AndSize(k, NULL);
            int known = 0;
            for (int i = 0; kwlist && ks && i < total; i++)
                if (kwlist[i] && kwlist[i][0] && strcmp(kwlist[i], ks) == 0) known = 1;
            if (!known) {
                if (kwlist)
                    snprintf(msg, sizeof msg, "'%.50s' is an invalid keyword argument for %.100s()", ks ? ks : "?", fn);
                else
                    snprintf(msg, sizeof msg, "%.100s() takes no keyword arguments", fn);
                PyErr_SetString(PyExc_TypeError, msg);
                return 0;
            }
        }
    }
    return 1;
}

static int parse(PyObject *args, PyObject *kwargs, const char *format, char **kwlist, va_list *va) {
    parse_ctx c = {0};
    int r = parse_with(args, kwargs, format, kwlist, va, &c);
    finish_allocations(&c, r);
    return r;
}

int pf_arg_parse_v(PyObject *args, const char *format, va_list vargs) {
    va_list va;
    va_copy(va, vargs);
    int r = parse(args, NULL, format, NULL, &va);
    va_end(va);
    return r;
}

int pf_arg_parse_kw_v(PyObject *args, PyObject *kw, const char *format, char **kwlist, va_list vargs) {
    va_list va;
    va_copy(va, vargs);
    int r = parse(args, kw, format, kwlist, &va);
    va_end(va);
    return r;
}

/* PyArg_Parse: a single object, as if it were the only positional argument. */
int pf_arg_parse_single_v(PyObject *arg, const char *format, va_list vargs) {
    PyObject *t = PyTuple_New(1);
    if (!t) return 0;
    Py_IncRef(arg);
    PyTuple_SetItem(t, 0, arg);
    va_list va;
    va_copy(va, vargs);
    int r = parse(t, NULL, format, NULL, &va);
    va_end(va);
    Py_DecRef(t);
    return r;
}

int pf_arg_unpack_tuple_v(PyObject *args, const char *name, Py_ssize_t min, Py_ssize_t max, va_list vargs) {
    if (_pyfacade_kind(args) != K_TUPLE) {
        PyErr_SetString(PyExc_SystemError, "PyArg_UnpackTuple() argument list is not a tuple");
        return 0;
    }
    Py_ssize_t n = PyTuple_Size(args);
    char msg[200];
    if (n < min || n > max) {
        if (min == max)
            snprintf(msg, sizeof msg, "%.100s expected %s%zd argument%s, got %zd", name ? name : "unpacked tuple", "", min, min == 1 ? "" : "s", n);
        else
            snprintf(msg, sizeof msg, "%.100s expected %s%zd argument%s, got %zd", name ? name : "unpacked tuple", n < min ? "at least " : "at most ", n < min ? min : max, (n < min ? min : max) == 1 ? "" : "s", n);
        PyErr_SetString(PyExc_TypeError, msg);
        return 0;
    }
    va_list va;
    va_copy(va, vargs);
    for (Py_ssize_t i = 0; i < n; i++) *va_arg(va, PyObject **) = PyTuple_GetItem(args, i);
    va_end(va);
    return 1;
}
