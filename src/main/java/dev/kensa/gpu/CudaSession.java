package dev.kensa.gpu;

import dev.kensa.KensaException;
import org.bytedeco.cuda.cudart.CUctx_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.jboss.logging.Logger;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import java.util.ArrayList;
import java.util.List;

import static org.bytedeco.cuda.global.cudart.CUDA_SUCCESS;
import static org.bytedeco.cuda.global.cudart.CU_STREAM_NON_BLOCKING;
import static org.bytedeco.cuda.global.cudart.cuCtxSetCurrent;
import static org.bytedeco.cuda.global.cudart.cuDeviceGet;
import static org.bytedeco.cuda.global.cudart.cuDevicePrimaryCtxRelease;
import static org.bytedeco.cuda.global.cudart.cuDevicePrimaryCtxRetain;
import static org.bytedeco.cuda.global.cudart.cuGetErrorString;
import static org.bytedeco.cuda.global.cudart.cuMemAlloc;
import static org.bytedeco.cuda.global.cudart.cuMemAllocHost;
import static org.bytedeco.cuda.global.cudart.cuMemFreeHost;
import static org.bytedeco.cuda.global.cudart.cuMemFree;
import static org.bytedeco.cuda.global.cudart.cuMemcpyDtoHAsync;
import static org.bytedeco.cuda.global.cudart.cuMemcpyHtoDAsync;
import static org.bytedeco.cuda.global.cudart.cuStreamCreate;
import static org.bytedeco.cuda.global.cudart.cuStreamDestroy;
import static org.bytedeco.cuda.global.cudart.cuStreamSynchronize;

/**
 * The CUDA resources of one GPU component: device 0's primary context (shared with TensorRT, which uses the
 * runtime API on the same context), one stream, and the device allocations made through it. One owner, one
 * {@link #close()} that frees everything. Only constructed after {@link GpuProbe} said the GPU is available.
 */
public final class CudaSession implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(CudaSession.class);
    private final int device;
    private final CUctx_st context = new CUctx_st();
    private final CUstream_st stream = new CUstream_st();
    private final List<Long> allocations = new ArrayList<>();
    private final List<Long> hostAllocations = new ArrayList<>();
    private boolean closed;

    public CudaSession() {
        if (!GpuProbe.status().available()) {
            throw new KensaException("CUDA is not available: " + GpuProbe.status().reason());
        }
        int[] d = new int[1];
        check(cuDeviceGet(d, 0), "cuDeviceGet");
        device = d[0];
        check(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
        try {
            makeCurrent();
            check(cuStreamCreate(stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
        } catch (RuntimeException e) {
            cuDevicePrimaryCtxRelease(device);
            throw e;
        }
    }

    /** The driver API wants the context current on the calling thread; callers come from several threads. */
    public void makeCurrent() {
        check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    public CUstream_st stream() {
        return stream;
    }

    /** Allocates device memory owned by this session (freed by close). */
    public long alloc(long bytes) {
        long[] ptr = new long[1];
        check(cuMemAlloc(ptr, Math.max(bytes, 1)), "cuMemAlloc " + bytes + " bytes");
        allocations.add(ptr[0]);
        return ptr[0];
    }

    /**
     * Host staging memory for copies to and from the device, owned by this session (freed by close, so the buffer
     * must not outlive it): page-locked, so copies run at full bus speed and asynchronously; a plain direct buffer
     * when the driver refuses to pin more memory (copies are then slower, results the same).
     */
    public ByteBuffer hostBuffer(long bytes) {
        try (PointerPointer<Pointer> out = new PointerPointer<>(1)) {
            int rc = cuMemAllocHost(out, Math.max(bytes, 1));
            if (rc == CUDA_SUCCESS) {
                Pointer pinned = out.get(0);
                hostAllocations.add(pinned.address());
                return new BytePointer(pinned).capacity(bytes).asByteBuffer().order(ByteOrder.nativeOrder());
            }
            LOG.debugf("cuMemAllocHost %d bytes refused (%s); using pageable memory", bytes, errorName(rc));
        }
        return ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder());
    }

    public void free(long ptr) {
        if (allocations.remove(ptr)) {
            cuMemFree(ptr);
        }
    }

    public void upload(long dst, Pointer src, long bytes) {
        check(cuMemcpyHtoDAsync(dst, src, bytes, stream), "cuMemcpyHtoDAsync");
    }

    public void download(Pointer dst, long src, long bytes) {
        check(cuMemcpyDtoHAsync(dst, src, bytes, stream), "cuMemcpyDtoHAsync");
    }

    public void synchronize() {
        check(cuStreamSynchronize(stream), "cuStreamSynchronize");
    }

    /** A JavaCPP pointer to a device address, for APIs that take {@code void*} (TensorRT's setTensorAddress). */
    public static Pointer devicePointer(long address) {
        return new DevicePointer(address);
    }

    private static final class DevicePointer extends Pointer {
        DevicePointer(long address) {
            this.address = address;
        }
    }

    public static void check(int result, String what) {
        if (result != CUDA_SUCCESS) {
            throw new KensaException("CUDA " + what + " failed: " + errorName(result));
        }
    }

    public static String errorName(int result) {
        try (PointerPointer<BytePointer> out = new PointerPointer<>(1)) {
            if (cuGetErrorString(result, out) == CUDA_SUCCESS && out.get(0) != null && !out.get(0).isNull()) {
                return out.getString(0) + " (" + result + ")";
            }
        }
        return "CUresult " + result;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            makeCurrent();
            cuStreamSynchronize(stream);
            for (long p : allocations) {
                cuMemFree(p);
            }
            allocations.clear();
            for (long h : hostAllocations) {
                cuMemFreeHost(new DevicePointer(h));
            }
            hostAllocations.clear();
            cuStreamDestroy(stream);
        } finally {
            cuDevicePrimaryCtxRelease(device);
        }
    }
}
