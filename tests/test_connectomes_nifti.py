"""NIfTI parcellations in and region values out, on a label image made here."""

import numpy as np
import pytest

from tvb_ngnmm.connectomes import ConnectomeFileError
from tvb_ngnmm.connectomes.nifti import (
    connectivity_from_parcellation,
    read_label_table,
    read_parcellation,
    region_values_to_nifti,
)

nibabel = pytest.importorskip("nibabel")

# 2 mm voxels, origin shifted: world = 2 * voxel + (-20, -30, -10)
AFFINE = np.array([[2.0, 0, 0, -20], [0, 2.0, 0, -30], [0, 0, 2.0, -10], [0, 0, 0, 1]])
# label value -> (name, voxel box [lo, hi) on each axis)
BOXES = {
    3: ("Left-Putamen", ((1, 4), (2, 6), (1, 3))),
    17: ("Left-Hippocampus", ((5, 9), (1, 3), (4, 8))),
    53: ("Right-Hippocampus", ((10, 12), (6, 10), (0, 2))),
}


def _label_image():
    data = np.zeros((12, 11, 9), dtype=np.int16)
    for value, (_, box) in BOXES.items():
        data[tuple(slice(lo, hi) for lo, hi in box)] = value
    return nibabel.Nifti1Image(data, AFFINE)


def _expected_centre(box):
    voxel = np.array([(lo + hi - 1) / 2 for lo, hi in box])
    return 2 * voxel + AFFINE[:3, 3]


def _expected_volume(box):
    return np.prod([hi - lo for lo, hi in box]) * 8.0


@pytest.fixture
def files(tmp_path):
    image = tmp_path / "atlas.nii.gz"
    nibabel.save(_label_image(), image)
    lut = tmp_path / "atlas_LUT.txt"
    lut.write_text(
        "#No. Label Name: R G B A\n0 Unknown 0 0 0 0\n"
        + "".join(f"{v} {name} 10 20 30 0\n" for v, (name, _) in BOXES.items())
        + "99 Unused 1 2 3 0\n"
    )
    csv = tmp_path / "atlas.csv"
    csv.write_text("name,index\n" + "".join(f"{n},{v}\n" for v, (n, _) in BOXES.items()))
    tsv = tmp_path / "atlas.tsv"
    tsv.write_text("index\tname\n" + "".join(f"{v}\t{n}\n" for v, (n, _) in BOXES.items()))
    return image, lut, csv, tsv


def test_label_tables_in_three_formats_agree(files):
    _, lut, csv, tsv = files
    expected = {v: name for v, (name, _) in BOXES.items()}
    assert read_label_table(csv) == expected
    assert read_label_table(tsv) == expected
    assert read_label_table(lut) == {0: "Unknown", **expected, 99: "Unused"}


def test_parcellation_gives_names_world_centres_volumes_distances(files):
    image, lut, _, _ = files
    parcellation = read_parcellation(image, lut)
    np.testing.assert_array_equal(parcellation.label_values, [3, 17, 53])
    assert list(parcellation.names) == [name for name, _ in BOXES.values()]
    centres = np.array([_expected_centre(box) for _, box in BOXES.values()])
    np.testing.assert_allclose(parcellation.centres, centres)
    np.testing.assert_allclose(
        parcellation.volumes, [_expected_volume(b) for _, b in BOXES.values()]
    )
    assert parcellation.distances[0, 2] == pytest.approx(np.linalg.norm(centres[0] - centres[2]))


def test_connectivity_from_parcellation_in_a_chosen_order(files):
    image, _, _, tsv = files
    weights = np.array([[0, 1.0, 2], [1, 0, 3], [2, 3, 0]])
    conn = connectivity_from_parcellation(image, tsv, weights, regions=[53, 3, 17])
    assert list(conn.region_labels) == ["Right-Hippocampus", "Left-Putamen", "Left-Hippocampus"]
    np.testing.assert_array_equal(conn.hemispheres, [True, False, False])
    np.testing.assert_allclose(conn.centres[0], _expected_centre(BOXES[53][1]))
    distance = np.linalg.norm(_expected_centre(BOXES[53][1]) - _expected_centre(BOXES[3][1]))
    assert conn.tract_lengths[0, 1] == pytest.approx(distance)
    with pytest.raises(ConnectomeFileError, match=r"'weights'.*3 regions.*\(3, 3\).*\(2, 2\)"):
        connectivity_from_parcellation(image, tsv, np.ones((2, 2)))


def test_region_values_back_to_nifti_with_the_affine(files, tmp_path):
    image, lut, _, _ = files
    parcellation = read_parcellation(image, lut)
    rates_hz = np.array([12.5, 40.0, 7.25])
    out = tmp_path / "rates_hz.nii.gz"
    region_values_to_nifti(rates_hz, parcellation, out)
    saved = nibabel.load(out)
    np.testing.assert_array_equal(saved.affine, AFFINE)
    data = saved.get_fdata()
    labels = np.asarray(_label_image().dataobj)
    for value, rate in zip(BOXES, rates_hz, strict=True):
        assert np.all(data[labels == value] == rate)
    assert np.all(data[labels == 0] == 0)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["atlas.nii.gz", "atlas_LUT.txt", "atlas.csv", "atlas.tsv", "rates_hz.nii.gz"]
    )
    series = region_values_to_nifti(np.outer(rates_hz, [1.0, 2.0]), parcellation)
    assert series.shape == labels.shape + (2,)
    assert np.all(series.get_fdata()[..., 1][labels == 17] == 80.0)
    with pytest.raises(ValueError, match=r"'values' parameter.*\(3,\) or \(3, n_time\).*\(2,\)"):
        region_values_to_nifti(rates_hz[:2], parcellation)


def test_bad_parcellations_are_named(files, tmp_path):
    image, _, csv, _ = files
    partial = tmp_path / "partial.csv"
    partial.write_text("index,name\n3,Left-Putamen\n")
    with pytest.raises(ConnectomeFileError, match=r"atlas\.nii\.gz.*labels \[17, 53\].*not in"):
        read_parcellation(image, partial)
    with pytest.raises(ConnectomeFileError, match=r"atlas\.nii\.gz.*regions \[4\] have no voxels"):
        read_parcellation(image, csv, regions=[3, 4])
    broken = tmp_path / "broken.nii.gz"
    broken.write_bytes(image.read_bytes()[: len(image.read_bytes()) // 2])
    with pytest.raises(ConnectomeFileError, match=r"broken\.nii\.gz.*not a readable NIfTI"):
        read_parcellation(broken, csv)
    empty = tmp_path / "empty.nii"
    nibabel.save(nibabel.Nifti1Image(np.zeros((2, 2, 2), np.int16), AFFINE), empty)
    with pytest.raises(ConnectomeFileError, match=r"empty\.nii.*no labelled region"):
        read_parcellation(empty, csv)
    fractional = tmp_path / "fractional.nii"
    nibabel.save(nibabel.Nifti1Image(np.full((2, 2, 2), 0.5, np.float32), AFFINE), fractional)
    with pytest.raises(ConnectomeFileError, match=r"fractional\.nii.*non-negative integers"):
        read_parcellation(fractional, csv)
    table = tmp_path / "bad.tsv"
    table.write_text("index\tname\n3\tA\n3\tB\n")
    with pytest.raises(ConnectomeFileError, match=r"bad\.tsv.*label 3 appears more than once"):
        read_label_table(table)
