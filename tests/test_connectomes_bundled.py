"""Bundled connectomes: every bundle loads, and its recorded frame agrees with its labels."""

import io
import zipfile
from importlib import resources

import numpy as np
import pytest

from tvb_ngnmm.connectomes import BUNDLES, bundle_names, load_aal90, load_connectome

# Independent reading of the labels: which hemisphere each label names.
SIDE_BY_SUFFIX = {"tvb96", "aal90"}
# (frontal, occipital, superior, inferior) regions of the right hemisphere of each bundle.
LANDMARKS = {
    "tvb66": ("rFP", "rLOCC", "rSF", "rTP"),
    "tvb68": ("r_frontalpole", "r_lateraloccipital", "r_superiorfrontal", "r_temporalpole"),
    "tvb76": ("rPFCM", "rV1", "rPFCDM", "rTCPOL"),
    "tvb96": ("RM-PFCpol_R", "RM-V1_R", "RM-PFCdm_R", "RM-TCpol_R"),
    "tvb192": ("rPFCM", "rV1", "rPFCDM", "rTCPOL"),
    "aal90": ("SFGdor.R", "CAL.R", "SFGdor.R", "TPOmid.R"),
}


def _labelled_right(name, labels):
    if name in SIDE_BY_SUFFIX:
        return np.array([label[-1] == "R" for label in labels])
    return np.array([label[0] == "r" for label in labels])


def _unique_centre(centres):
    """Regions whose centre no other region shares (tvb192 parks 116 regions at one point)."""
    _, inverse, counts = np.unique(centres, axis=0, return_inverse=True, return_counts=True)
    return counts[inverse.ravel()] == 1


@pytest.fixture(scope="module", params=bundle_names())
def bundle(request):
    return (
        request.param,
        load_connectome(request.param),
        load_connectome(request.param, frame="RAS"),
    )


def test_bundle_has_its_regions_and_hemispheres(bundle):
    name, conn, _ = bundle
    n = BUNDLES[name].n_regions
    assert conn.weights.shape == conn.tract_lengths.shape == (n, n)
    assert conn.centres.shape == (n, 3) and len(conn.region_labels) == n
    right = _labelled_right(name, conn.region_labels)
    np.testing.assert_array_equal(conn.hemispheres, right)
    assert right.sum() == n // 2


def test_hemisphere_signs_match_the_labels_in_the_recorded_frame(bundle):
    name, conn, _ = bundle
    frame = conn.coordinate_frame
    axis, sign = frame.left_right_axis
    right = _labelled_right(name, conn.region_labels)
    placed = _unique_centre(conn.centres)
    side = sign * (conn.centres[:, axis] - frame.origin[axis])
    assert np.all(side[placed & right] > 0) and np.all(side[placed & ~right] < 0)
    # detect the axis independently: the only one whose coordinate separates the hemispheres
    separating = [
        a
        for a in range(3)
        if conn.centres[placed & right, a].max() < conn.centres[placed & ~right, a].min()
        or conn.centres[placed & ~right, a].max() < conn.centres[placed & right, a].min()
    ]
    assert separating == [axis]


def test_ras_frame_puts_right_at_positive_x_anterior_at_y_superior_at_z(bundle):
    name, _, conn = bundle
    right = _labelled_right(name, conn.region_labels)
    placed = _unique_centre(conn.centres)
    assert np.all(conn.centres[placed & right, 0] > 0)
    assert np.all(conn.centres[placed & ~right, 0] < 0)
    index = {label: i for i, label in enumerate(conn.region_labels)}
    frontal, occipital, superior, inferior = (conn.centres[index[k]] for k in LANDMARKS[name])
    assert frontal[1] > occipital[1] + 30, "frontal pole lies anterior to occipital cortex"
    assert superior[2] > inferior[2] + 30, "superior frontal lies above the temporal pole"
    assert conn.coordinate_frame.axes == "RAS"


def test_ras_frame_keeps_distances(bundle):
    _, native, ras = bundle

    def distances(c):
        return np.linalg.norm(c[:, None] - c[None], axis=-1)

    np.testing.assert_allclose(distances(native.centres), distances(ras.centres), atol=1e-9)


def _member(source, field):
    data = (resources.files("tvb_data.connectivity") / source).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        name = next(n for n in archive.namelist() if field in n)
        content = archive.read(name)
    if name.endswith(".bz2"):
        import bz2

        content = bz2.decompress(content)
    return np.loadtxt(io.BytesIO(content))


@pytest.mark.parametrize("name", ["tvb66", "tvb68", "tvb76", "tvb96", "tvb192"])
def test_tract_lengths_and_weights_are_the_bundle_s_own(name):
    conn = load_connectome(name)
    source = BUNDLES[name].source
    np.testing.assert_array_equal(conn.tract_lengths, _member(source, "tract_lengths"))
    np.testing.assert_array_equal(conn.weights, _member(source, "weights"))


def test_tvb192_is_tvb76_with_swapped_hemisphere_prefixes():
    small, large = load_connectome("tvb76"), load_connectome("tvb192")
    labels = list(large.region_labels)
    swapped = [labels.index({"l": "r", "r": "l"}[lab[0]] + lab[1:]) for lab in small.region_labels]
    np.testing.assert_array_equal(large.weights[np.ix_(swapped, swapped)], small.weights)
    np.testing.assert_array_equal(large.centres[swapped], small.centres)
    assert BUNDLES["tvb76"].frame.right_handed and not BUNDLES["tvb192"].frame.right_handed


def test_aal90_by_name_matches_load_aal90_and_uses_euclidean_lengths():
    conn = load_connectome("aal90", normalize="row", conduction_speed=5.0)
    reference = load_aal90(normalize="row", conduction_speed=5.0)
    np.testing.assert_allclose(conn.weights, reference.weights, rtol=1e-12)
    a, b = conn.centres[3], conn.centres[40]
    assert conn.tract_lengths[3, 40] == pytest.approx(np.sqrt(np.sum((a - b) ** 2)))
    np.testing.assert_allclose(conn.delays, conn.tract_lengths / 5.0)
    assert reference.coordinate_frame == conn.coordinate_frame == BUNDLES["aal90"].frame


def test_bad_names_are_reported():
    with pytest.raises(ValueError, match="'name' parameter.*'tvb76'.*but got 'tvb77'"):
        load_connectome("tvb77")
    with pytest.raises(ValueError, match="'frame' parameter.*'native', 'RAS'.*'MNI'"):
        load_connectome("tvb76", frame="MNI")
    with pytest.raises(ValueError, match="'normalize' parameter.*'log'.*'rw'"):
        load_connectome("tvb76", normalize="rw")


def test_a_deep_copy_keeps_the_recorded_frame():
    """Issue 24: TVB's deepcopy copies declared traits only, and the frame (a plain attribute)
    was lost, e.g. in a deep-copied simulator; it is kept, by copies of copies and after
    pickling (Dask) too, and a deep copy stays a copy of the object copied."""
    import copy
    import pickle

    from tvb.simulator.simulator import Simulator

    from tvb_ngnmm.connectomes import random_network

    for conn in (load_connectome("tvb76"), load_aal90(), random_network(8, 0.5, seed=0)):
        frame = conn.coordinate_frame
        copied = copy.deepcopy(copy.deepcopy(conn))
        assert copied.coordinate_frame == frame
        assert not np.shares_memory(copied.weights, conn.weights)
        np.testing.assert_array_equal(copied.centres, conn.centres)
        assert copy.deepcopy(pickle.loads(pickle.dumps(conn))).coordinate_frame == frame
        sim = copy.deepcopy(Simulator(connectivity=conn))
        assert sim.connectivity.coordinate_frame == frame
        shallow = copy.copy(conn)  # then changed: its deep copy is of it, not of the original
        shallow.weights = 2.0 * conn.weights
        np.testing.assert_array_equal(copy.deepcopy(shallow).weights, shallow.weights)
