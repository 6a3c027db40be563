# Writes the .npy fixtures of dev.kensa.interop.NpyTest with NumPy itself. Run from this folder:
#   python3 make_fixtures.py
# The values are formulas the test recomputes in Java (exact in binary floating point), so it compares exactly.
import pickle
import numpy as np
from numpy.lib import format as npf

i = np.arange(12)
f4 = (i * 0.1 - 0.5).astype('<f4').reshape(3, 4)          # Java: (float) (i * 0.1 - 0.5)
f8 = ((i - 5) / 3.0).reshape(3, 4)                         # Java: (i - 5) / 3.0
a, b, c = np.meshgrid(np.arange(2), np.arange(3), np.arange(4), indexing='ij')
cube = a * 100.0 + b * 10.0 + c + 0.25                      # [2, 3, 4], value at [a, b, c]

np.save('f4.npy', f4)
np.save('f4_be.npy', f4.astype('>f4'))
np.save('f8.npy', f8)
np.save('f8_be.npy', f8.astype('>f8'))
np.save('f4_fortran.npy', np.asfortranarray(f4))
np.save('f4_3d.npy', cube.astype('<f4'))
np.save('f8_3d_fortran_be.npy', np.asfortranarray(cube.astype('>f8')))
np.save('f8_0d.npy', np.array(-2.75))
np.save('f4_1d.npy', np.array([1.5, -0.0, 3.4028235e38, 1e-45, -7.0], dtype='<f4'))
np.save('f4_empty.npy', np.zeros((0, 3), dtype='<f4'))
np.save('f4_rank15.npy', np.full((1,) * 14 + (2,), 0.5, dtype='<f4'))  # header long enough that NumPy's growth padding adds a 64-byte block
with open('f4_v2.npy', 'wb') as f:
    npf.write_array(f, f4, version=(2, 0))
with open('f4_v3.npy', 'wb') as f:
    npf.write_array(f, f4, version=(3, 0))

idx = np.array([0, 7, 100, 447, 3])
np.save('i8.npy', idx.astype('<i8'))
np.save('i8_be.npy', idx.astype('>i8'))
ext32 = np.array([-2147483648, -1, 0, 1, 2147483647])
np.save('i4.npy', ext32.astype('<i4'))
np.save('i4_be.npy', ext32.astype('>i4'))
np.save('i4_fortran.npy', np.asfortranarray(np.arange(6, dtype='<i4').reshape(2, 3)))
np.save('u1.npy', np.array([0, 1, 127, 128, 255], dtype='|u1'))
np.save('i1.npy', np.array([-128, -1, 0, 1, 127], dtype='|i1'))

nan_inf = f4.copy()
nan_inf[1, 2] = np.nan
nan_inf[2, 0] = np.inf
np.save('f4_nan_inf.npy', nan_inf)

# refused files
raw = open('f4.npy', 'rb').read()
open('bad_truncated.npy', 'wb').write(raw[:-6])
assert raw.count(b"(3, 4)") == 1
open('bad_header.npy', 'wb').write(raw.replace(b"(3, 4)", b"(3, 4 "))
open('bad_version.npy', 'wb').write(raw[:6] + bytes([9, 0]) + raw[8:])
with open('bad_npz.npy', 'wb') as f:                          # a zip, whatever its name
    np.savez(f, mean=f4)
np.save('bad_object.npy', np.array([{'a': 1}, None], dtype=object), allow_pickle=True)
np.save('bad_structured.npy', np.zeros(3, dtype=[('a', '<f4'), ('b', '<i4')]))
np.save('bad_float16.npy', f4.astype('<f2'))
with open('bad_huge_shape.npy', 'wb') as f:                  # header for 10^12 elements, 48 bytes of data
    npf.write_array_header_1_0(f, {'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000)})
    f.write(f4.tobytes())
with open('bad_two_arrays.npy', 'wb') as f:                   # np.save twice into one file
    np.save(f, f4)
    np.save(f, f8)
open('bad_pickle.npy', 'wb').write(pickle.dumps([1.0, 2.0], protocol=4))
