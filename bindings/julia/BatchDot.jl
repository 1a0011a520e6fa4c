"""
    BatchDot

Julia binding of libbatch_dot: Keras's `batch_dot` for `Float16`,
`Float32` and `Float64` arrays and for `Int8` (or `UInt8`) times `Int8`
into exact `Int32` sums, of any strides (column-major arrays, views,
`PermutedDimsArray`s, reversed ranges), through the library's C ABI with
`ccall`.

Dimensions are Julia's: the batch is dimension 1 and `axes` are 1-based
(`axes=2` contracts the second dimension of both operands; negative axes count
from the end, `-1` being the last). The library's error messages number axes
from 0, as Keras does.

    include("BatchDot.jl"); using .BatchDot
    x = Float64[1 2; 3 4]; y = Float64[5 6; 7 8]
    batch_dot(x, y; axes=2)          # 2×1 Matrix: [17.0; 53.0]
    batch_dot(Float32, Float16.(x), Float16.(y); axes=2)   # Float32 sums
    batch_dot(Int8[1 -2; 3 4], Int8[5 6; -7 8]; axes=2)   # 2×1 Matrix{Int32}: [-7; 11]

The library is found through the environment variable `BATCH_DOT_LIBRARY`
(a path), else as `libbatch_dot` on the system's search path
(`LD_LIBRARY_PATH`, ...).
"""
module BatchDot

using Libdl

export batch_dot, batch_dot!, infer_shape, BatchDotError, Layout, Options

const ABI_VERSION = 0
const MAX_NDIM = 16
const AXIS_DEFAULT = typemin(Int64)
const DIM_UNKNOWN = Int64(-1)

const STATUS_OK = Int32(0)
const STATUS_NULL_POINTER = Int32(1)
const STATUS_INVALID_RANK = Int32(2)
const STATUS_INVALID_AXES = Int32(3)
const STATUS_BATCH_AXIS = Int32(4)
const STATUS_BATCH_MISMATCH = Int32(5)
const STATUS_CONTRACTION_MISMATCH = Int32(6)
const STATUS_INVALID_SHAPE = Int32(7)
const STATUS_OUTPUT_SHAPE = Int32(8)
const STATUS_OUT_OF_BOUNDS = Int32(9)
const STATUS_OVERFLOW = Int32(10)
const STATUS_ALIASING = Int32(11)
const STATUS_INVALID_ARGUMENT = Int32(12)
const STATUS_ALLOCATION = Int32(13)
const STATUS_INTERNAL = Int32(14)
const STATUS_UNSUPPORTED_DTYPE = Int32(15)

# dtype codes (BATCH_DOT_DTYPE_*) of batch_dot_compute.
const DTYPE_F32 = Int32(1)
const DTYPE_F64 = Int32(2)
const DTYPE_F16 = Int32(3)
const DTYPE_S8 = Int32(5)
const DTYPE_U8 = Int32(6)
const DTYPE_S32 = Int32(7)

dtype(::Type{Float32}) = DTYPE_F32
dtype(::Type{Float64}) = DTYPE_F64
dtype(::Type{Float16}) = DTYPE_F16
dtype(::Type{Int8}) = DTYPE_S8
dtype(::Type{UInt8}) = DTYPE_U8
dtype(::Type{Int32}) = DTYPE_S32

# Element types whose result has their own type (Keras), and the x types of
# the int8 calls (y is Int8, the result Int32).
const SameFloat = Union{Float16,Float32,Float64}
const Int8x = Union{Int8,UInt8}

"""
    Layout

`batch_dot_layout`, byte for byte (280 bytes, no padding, no pointers): an
`isbits` value that `ccall` passes by reference as `Ref{Layout}`. Strides are
in elements; element `[i0, ..., i{n-1}]` (0-based) is at
`data[offset + i0*strides[1] + ...]`.
"""
struct Layout
    ndim::Int32
    flags::UInt32
    offset::Int64
    len::Int64
    shape::NTuple{16,Int64}
    strides::NTuple{16,Int64}
end

"""
    Options(; num_threads=0, alpha=1, beta=0)

`batch_dot_options` (32 bytes): `struct_size`, `num_threads` (0 = default:
1 thread, or `BATCH_DOT_NUM_THREADS`), `flags`, `alpha`, `beta`. `flags` is
`OPT_SCALE` (`out = alpha*(x.y) + beta*out`) unless `alpha == 1` and
`beta == 0`, which is the plain call.
"""
struct Options
    struct_size::Csize_t
    num_threads::UInt32
    flags::UInt32
    alpha::Float64
    beta::Float64
end

const OPT_SCALE = UInt32(1)

function Options(; num_threads::Integer=0, alpha::Real=1.0, beta::Real=0.0)
    plain = alpha == 1 && beta == 0
    Options(Csize_t(sizeof(Options)), UInt32(num_threads), plain ? UInt32(0) : OPT_SCALE,
            Float64(alpha), Float64(beta))
end

@assert isbitstype(Layout) && sizeof(Layout) == 280
@assert fieldoffset(Layout, 5) == 24 && fieldoffset(Layout, 6) == 152
@assert isbitstype(Options) && sizeof(Options) == 32 && fieldoffset(Options, 4) == 16

pad16(v) = ntuple(i -> i <= length(v) ? Int64(v[i]) : Int64(0), 16)

"""
    BatchDotError(status, name, message)

A failed call: `status` is the C status value, `name` its stable name
(`"BATCH_DOT_STATUS_BATCH_MISMATCH"`), `message` the library's message.
"""
struct BatchDotError <: Exception
    status::Int32
    name::String
    message::String
end

Base.showerror(io::IO, e::BatchDotError) = print(io, "BatchDotError(", e.name, "): ", e.message)

# --- the library --------------------------------------------------------------

const HANDLE = Ref{Ptr{Cvoid}}(C_NULL)
const F_ABI = Ref{Ptr{Cvoid}}(C_NULL)
const F_STATUS_STRING = Ref{Ptr{Cvoid}}(C_NULL)
const F_LAST_ERROR = Ref{Ptr{Cvoid}}(C_NULL)
const F_INFER = Ref{Ptr{Cvoid}}(C_NULL)
const F_F32 = Ref{Ptr{Cvoid}}(C_NULL)
const F_F64 = Ref{Ptr{Cvoid}}(C_NULL)
const F_F16 = Ref{Ptr{Cvoid}}(C_NULL)       # version 0.2 on; C_NULL when missing
const F_S8 = Ref{Ptr{Cvoid}}(C_NULL)
const F_COMPUTE = Ref{Ptr{Cvoid}}(C_NULL)
const F_VERSION_STRING = Ref{Ptr{Cvoid}}(C_NULL)

function __init__()
    path = get(ENV, "BATCH_DOT_LIBRARY", "")
    h = isempty(path) ? Libdl.dlopen("libbatch_dot") : Libdl.dlopen(path)
    HANDLE[] = h
    F_ABI[] = Libdl.dlsym(h, :batch_dot_abi_version)
    F_STATUS_STRING[] = Libdl.dlsym(h, :batch_dot_status_string)
    F_LAST_ERROR[] = Libdl.dlsym(h, :batch_dot_last_error_message)
    F_INFER[] = Libdl.dlsym(h, :batch_dot_infer_shape)
    F_F32[] = Libdl.dlsym(h, :batch_dot_f32)
    F_F64[] = Libdl.dlsym(h, :batch_dot_f64)
    # The 0.2 functions: looked up without failing, so that a 0.1 library
    # still serves Float32/Float64 (need() reports them when called).
    F_F16[] = something(Libdl.dlsym(h, :batch_dot_f16; throw_error=false), C_NULL)
    F_S8[] = something(Libdl.dlsym(h, :batch_dot_s8; throw_error=false), C_NULL)
    F_COMPUTE[] = something(Libdl.dlsym(h, :batch_dot_compute; throw_error=false), C_NULL)
    F_VERSION_STRING[] = Libdl.dlsym(h, :batch_dot_version_string)
    abi = ccall(F_ABI[], UInt32, ())
    abi == ABI_VERSION || error("BatchDot: the loaded libbatch_dot has ABI version $abi, " *
                                "but this binding was written for ABI version $ABI_VERSION")
    return nothing
end

"Version of the loaded library, \"MAJOR.MINOR.PATCH\"."
library_version() = unsafe_string(ccall(F_VERSION_STRING[], Cstring, ()))

"Stable name of a status value."
status_string(status::Integer) = unsafe_string(ccall(F_STATUS_STRING[], Cstring, (Int32,), Int32(status)))

# The message is per OS thread: read it right after the call, on the same task
# and thread (no yield point between the two ccalls).
function last_error_message()
    n = ccall(F_LAST_ERROR[], Csize_t, (Ptr{UInt8}, Csize_t), C_NULL, 0)
    buf = Vector{UInt8}(undef, n + 1)
    ccall(F_LAST_ERROR[], Csize_t, (Ptr{UInt8}, Csize_t), buf, n + 1)
    return String(buf[1:n])
end

function check(status::Int32)
    status == STATUS_OK && return nothing
    throw(BatchDotError(status, status_string(status), last_error_message()))
end

# --- axes (1-based Julia dimensions -> the C library's 0-based axes) -----------

function c_axis(a::Integer)
    a == 0 && throw(ArgumentError("axes are 1-based Julia dimensions; 0 is not an axis"))
    return a > 0 ? Int64(a) - 1 : Int64(a)   # -1 is the last dimension in both
end

function c_axes(axes)
    axes === nothing && return (AXIS_DEFAULT, AXIS_DEFAULT)
    if axes isa Integer && !(axes isa Bool)
        a = c_axis(axes)
        return (a, a)
    end
    if axes isa Union{Tuple,AbstractVector}
        if any(a -> a isa Union{Tuple,AbstractVector}, axes)
            throw(ArgumentError("Multiple target dimensions are not supported. " *
                                "Expected: nothing, Int, (Int, Int), Provided: $(repr(axes))"))
        end
        length(axes) == 2 || throw(ArgumentError("axes must be nothing, an Int or a pair of Ints; got $(repr(axes))"))
        a0, a1 = axes[1], axes[2]
        (a0 isa Integer && a1 isa Integer) ||
            throw(ArgumentError("axes must be nothing, an Int or a pair of Ints; got $(repr(axes))"))
        return (c_axis(a0), c_axis(a1))
    end
    throw(ArgumentError("axes must be nothing, an Int or a pair of Ints; got $(repr(axes))"))
end

# --- layouts of Julia arrays ------------------------------------------------------

"""
    layout(x::StridedArray) -> (ptr, Layout)

Describes `x` as it is, without copying: `ptr` is the lowest address any
element reaches (below `pointer(x)` when a stride is negative), `offset` is
element `x[1, ..., 1]` counted from it, `len` the span of the view. Must be
used inside `GC.@preserve x`.
"""
function layout(x::StridedArray{T}) where {T}
    nd = ndims(x)
    nd <= MAX_NDIM || throw(BatchDotError(STATUS_INVALID_RANK, status_string(STATUS_INVALID_RANK),
                                          "an array of ndim $nd > $MAX_NDIM has no layout"))
    sz = size(x)
    st = collect(Int64, strides(x))
    for i in 1:nd
        sz[i] <= 1 && (st[i] = 0)
    end
    if length(x) == 0
        return (Ptr{T}(pointer(x)), Layout(Int32(nd), UInt32(0), 0, 0, pad16(sz), pad16(st)))
    end
    lo = 0
    hi = 0
    for i in 1:nd
        if st[i] < 0
            lo += (sz[i] - 1) * st[i]
        else
            hi += (sz[i] - 1) * st[i]
        end
    end
    p = pointer(x) + lo * sizeof(T)      # lo <= 0
    return (p, Layout(Int32(nd), UInt32(0), Int64(-lo), Int64(hi - lo + 1), pad16(sz), pad16(st)))
end

# --- the functions ---------------------------------------------------------------

function c_infer(xs, ys, ax::Int64, ay::Int64)
    (length(xs) <= MAX_NDIM && length(ys) <= MAX_NDIM) ||
        throw(BatchDotError(STATUS_INVALID_RANK, status_string(STATUS_INVALID_RANK),
                            "Cannot do batch_dot on inputs with more than $MAX_NDIM dimensions."))
    xa = collect(pad16(xs))
    ya = collect(pad16(ys))
    nd = Ref{Int32}(0)
    out = zeros(Int64, MAX_NDIM)
    st = ccall(F_INFER[], Int32,
               (Int32, Ptr{Int64}, Int32, Ptr{Int64}, Int64, Int64, Ref{Int32}, Ptr{Int64}),
               length(xs), xa, length(ys), ya, ax, ay, nd, out)
    check(st)
    return Tuple(out[1:nd[]])
end

"""
    infer_shape(x_shape, y_shape; axes=nothing)

Shape of `batch_dot(x, y; axes)` without data. `missing` is an extent not
known yet: it propagates to the result.
"""
function infer_shape(x_shape, y_shape; axes=nothing)
    conv(d) = d === missing ? DIM_UNKNOWN : Int64(d)
    ax, ay = c_axes(axes)
    r = c_infer(map(conv, Tuple(x_shape)), map(conv, Tuple(y_shape)), ax, ay)
    return map(d -> d == DIM_UNKNOWN ? missing : d, r)
end

function need(f::Ref{Ptr{Cvoid}}, name::Symbol)
    f[] == C_NULL && error("BatchDot: the loaded libbatch_dot ($(library_version())) has no $name; " *
                           "Float16 and the Int8 types need version 0.2")
    return f[]
end

cfunc(::Type{Float32}) = F_F32[]
cfunc(::Type{Float64}) = F_F64[]
cfunc(::Type{Float16}) = need(F_F16, :batch_dot_f16)

# One compute call: the typed C function where there is one (f16, f32, f64,
# s8), batch_dot_compute with dtype codes for the others (the same call, bit
# for bit: docs/API.md).
function compute!(out::StridedArray{O}, x::StridedArray{X}, y::StridedArray{Y},
                  axes, num_threads::Integer, alpha::Real, beta::Real) where {O,X,Y}
    ax, ay = c_axes(axes)
    opts = Ref(Options(num_threads=num_threads, alpha=alpha, beta=beta))
    GC.@preserve out x y begin
        xp, xl = layout(x)
        yp, yl = layout(y)
        op, ol = layout(out)
        if X === Y && Y === O && X <: SameFloat
            st = ccall(cfunc(X), Int32,
                       (Ref{Layout}, Ptr{X}, Ref{Layout}, Ptr{X}, Int64, Int64, Ref{Layout}, Ptr{X}, Ref{Options}),
                       xl, xp, yl, yp, ax, ay, ol, op, opts)
        elseif X === Int8 && Y === Int8 && O === Int32
            st = ccall(need(F_S8, :batch_dot_s8), Int32,
                       (Ref{Layout}, Ptr{Int8}, Ref{Layout}, Ptr{Int8}, Int64, Int64, Ref{Layout}, Ptr{Int32}, Ref{Options}),
                       xl, xp, yl, yp, ax, ay, ol, op, opts)
        else
            st = ccall(need(F_COMPUTE, :batch_dot_compute), Int32,
                       (Int32, Ref{Layout}, Ptr{Cvoid}, Int32, Ref{Layout}, Ptr{Cvoid}, Int64, Int64,
                        Int32, Ref{Layout}, Ptr{Cvoid}, Ref{Options}),
                       dtype(X), xl, xp, dtype(Y), yl, yp, ax, ay, dtype(O), ol, op, opts)
        end
        check(st)
    end
    return out
end

"""
    batch_dot!(out, x, y; axes=nothing, num_threads=0, alpha=1, beta=0)

Writes `alpha * batch_dot(x, y; axes) + beta * out` into `out` (any strides,
not overlapping `x` or `y`); returns `out`. `beta == 0` never reads `out`
(NaN there is overwritten); `beta = 1` accumulates into it.

Element types (`out`, `x`, `y`): all three `Float16`, `Float32` or `Float64`
(a `Float16` out is the `Float32` sum rounded once, to nearest even); a
`Float32` out of `Float16` inputs (the sums unrounded); an `Int32` out of
`Int8` or `UInt8` `x` and `Int8` `y` (exact, modulo 2^32; `alpha` must be 1
and `beta` 0 or 1).
"""
function batch_dot!(out::StridedArray{T}, x::StridedArray{T}, y::StridedArray{T};
                    axes=nothing, num_threads::Integer=0, alpha::Real=1.0,
                    beta::Real=0.0) where {T<:SameFloat}
    return compute!(out, x, y, axes, num_threads, alpha, beta)
end

function batch_dot!(out::StridedArray{Float32}, x::StridedArray{Float16}, y::StridedArray{Float16};
                    axes=nothing, num_threads::Integer=0, alpha::Real=1.0, beta::Real=0.0)
    return compute!(out, x, y, axes, num_threads, alpha, beta)
end

function batch_dot!(out::StridedArray{Int32}, x::StridedArray{X}, y::StridedArray{Int8};
                    axes=nothing, num_threads::Integer=0, alpha::Real=1,
                    beta::Real=0) where {X<:Int8x}
    return compute!(out, x, y, axes, num_threads, alpha, beta)
end

function new_out(::Type{O}, x, y, axes) where {O}
    ax, ay = c_axes(axes)
    return Array{O}(undef, c_infer(size(x), size(y), ax, ay)...)
end

strided(x) = x isa StridedArray ? x : Array(x)

"""
    batch_dot(x, y; axes=nothing, num_threads=0, alpha=1)
    batch_dot(Float32, x, y; ...)

Keras's `batch_dot` of two `Float16`, two `Float32` or two `Float64`
arrays, in their type, or of an `Int8` or `UInt8` `x` and an `Int8` `y`,
as exact `Int32` sums (dimension 1 is the batch; `axes` are 1-based), times
`alpha` in the same call (attention's `1/sqrt(d)`; `beta` needs an existing
`out`: `batch_dot!`; an `Int32` result takes `alpha = 1` only).
`batch_dot(Float32, x, y)` of `Float16` arrays keeps the `Float32` sums.
Views are passed without copying; other `AbstractArray`s are copied into an
`Array` first.
"""
function batch_dot(x::StridedArray{T}, y::StridedArray{T};
                   axes=nothing, num_threads::Integer=0,
                   alpha::Real=1.0) where {T<:SameFloat}
    out = new_out(T, x, y, axes)
    return batch_dot!(out, x, y; axes=axes, num_threads=num_threads, alpha=alpha)
end

function batch_dot(x::StridedArray{X}, y::StridedArray{Int8};
                   axes=nothing, num_threads::Integer=0, alpha::Real=1) where {X<:Int8x}
    out = new_out(Int32, x, y, axes)
    return batch_dot!(out, x, y; axes=axes, num_threads=num_threads, alpha=alpha)
end

function batch_dot(::Type{Float32}, x::StridedArray{Float16}, y::StridedArray{Float16};
                   axes=nothing, num_threads::Integer=0, alpha::Real=1.0)
    out = new_out(Float32, x, y, axes)
    return batch_dot!(out, x, y; axes=axes, num_threads=num_threads, alpha=alpha)
end

batch_dot(x::AbstractArray{T}, y::AbstractArray{T}; kw...) where {T<:SameFloat} =
    batch_dot(strided(x), strided(y); kw...)

batch_dot(x::AbstractArray{X}, y::AbstractArray{Int8}; kw...) where {X<:Int8x} =
    batch_dot(strided(x), strided(y); kw...)

batch_dot(::Type{Float32}, x::AbstractArray{Float16}, y::AbstractArray{Float16}; kw...) =
    batch_dot(Float32, strided(x), strided(y); kw...)

batch_dot(x::AbstractArray, y::AbstractArray; kw...) =
    throw(ArgumentError("batch_dot needs two Float16, two Float32 or two Float64 arrays, or an " *
                        "Int8 or UInt8 x and an Int8 y; got $(eltype(x)) and $(eltype(y))"))

end # module
