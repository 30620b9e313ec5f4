"""Region forward models with MNE, and sensor output as MNE objects, FIF and netCDF files."""

import copy
import io
import zipfile
from importlib import resources

import numpy as np
import pytest
import xarray as xr
from scipy.optimize import minimize
from scipy.spatial import cKDTree

from tvb_ngnmm.connectomes import load_connectome
from tvb_ngnmm.imaging import (
    DIPOLE_MOMENT,
    TVB76_TO_MNI_MM,
    connectome_sensors,
    fsaverage_directory,
    homogeneous_dipole_gain,
    read_tvb_sensors,
    region_forward,
    save_fif,
    save_sensor_dataset,
    sensor_dataset,
    to_raw,
    to_source_estimate,
)

mne = pytest.importorskip("mne")
MONTAGE = "fsaverage_1020"


def _surface(name, member="vertices.txt"):
    data = (resources.files("tvb_data.surfaceData") / name).read_bytes()
    return np.loadtxt(io.BytesIO(zipfile.ZipFile(io.BytesIO(data)).read(member)))


@pytest.fixture(scope="module")
def tvb76():
    return load_connectome("tvb76")


@pytest.fixture(scope="module")
def aal90():
    return load_connectome("aal90")


@pytest.fixture(scope="module")
def forward_aal90(aal90):
    return region_forward(aal90, MONTAGE)


@pytest.fixture(scope="module")
def forward_tvb76(tvb76):
    return region_forward(tvb76, MONTAGE, orientations="normal", to_mni=TVB76_TO_MNI_MM)


# --- geometry ------------------------------------------------------------------------------


def test_every_region_kept_with_the_sphere(forward_aal90, forward_tvb76):
    assert forward_aal90.gain.shape == (21, 3 * 90)
    assert forward_aal90.forward["nsource"] == 90 and forward_aal90.moved_regions == ()
    assert forward_tvb76.gain.shape == (21, 76) and forward_tvb76.forward["nsource"] == 76
    assert set(forward_aal90.units) == {"V"}


def test_unregistered_tvb76_raises_naming_the_regions_outside(tvb76):
    with pytest.raises(
        ValueError, match=r"2 of 76 regions lie outside the inner sphere.*'rPFCPOL'"
    ):
        region_forward(tvb76, MONTAGE, to_mni=(0, 0, 0))


def test_shrink_keeps_every_region_and_names_those_moved(tvb76):
    with pytest.warns(UserWarning, match=r"2 of 76 regions lay outside.*'lPFCPOL'"):
        forward = region_forward(tvb76, MONTAGE, to_mni=(0, 0, 0), outside="shrink", margin=5)
    assert forward.moved_regions == ("rPFCPOL", "lPFCPOL")
    sphere = forward.head_model
    radius = np.linalg.norm(forward.positions - sphere["r0"], axis=1)
    moved = [forward.region_labels.index(name) for name in forward.moved_regions]
    np.testing.assert_allclose(radius[moved], sphere["layers"][0]["rad"] - 5e-3, atol=1e-6)
    assert forward.forward["nsource"] == 76


def test_frame_not_recorded_as_mni_is_warned(tvb76):
    with (
        pytest.warns(
            UserWarning, match=r"'ALS' \(x anterior, y left, z superior\) is not recorded"
        ),
        pytest.raises(ValueError, match="regions lie outside"),
    ):
        region_forward(tvb76, MONTAGE)


def test_centres_reach_the_head_frame_through_fsaverage_trans(aal90, tvb76, forward_aal90):
    head_mri = mne.read_trans(fsaverage_directory() / "fsaverage-trans.fif")
    expected = mne.transforms.apply_trans(
        mne.transforms.invert_transform(head_mri), aal90.centres / 1000
    )
    np.testing.assert_allclose(forward_aal90.positions, expected, atol=1e-12)
    # right hemisphere at head x > 0 in both frames (tvb76 is ALS: y grows to the left)
    forward = region_forward(tvb76, "fsaverage_1020", to_mni=TVB76_TO_MNI_MM)
    right = np.array([label.startswith("r") for label in tvb76.region_labels])
    assert np.all((forward.positions[:, 0] > 0) == right)


def test_tvb76_registration_matches_two_independent_estimates(aal90):
    tvb76_ras = load_connectome("tvb76", frame="RAS")
    by_centroids = aal90.centres.mean(0) - tvb76_ras.centres.mean(0)
    cortex = load_connectome("tvb76").coordinate_frame.to_ras(_surface("cortex_16384.zip"))
    skull = (
        mne.read_bem_surfaces(
            fsaverage_directory() / "fsaverage-inner_skull-bem.fif", verbose=False
        )[0]["rr"]
        * 1000
    )
    low, high, s_low, s_high = cortex.min(0), cortex.max(0), skull.min(0), skull.max(0)
    gap = np.mean(((s_high - s_low) - (high - low))[:2]) / 2
    shift = np.r_[((s_low + s_high) - (low + high))[:2] / 2, s_high[2] - gap - high[2]]
    for estimate in (by_centroids, shift):
        np.testing.assert_allclose(estimate, TVB76_TO_MNI_MM, atol=2.0)


def test_mne_itself_would_drop_regions_inside_the_sphere(aal90, forward_aal90):
    """Why the sphere forward is computed in head coordinates (identity transform)."""
    head_mri = mne.read_trans(fsaverage_directory() / "fsaverage-trans.fif")
    source = mne.setup_volume_source_space(
        pos=dict(rr=aal90.centres / 1000, nn=np.eye(3)[[2] * 90])
    )
    info = forward_aal90.info
    fwd = mne.make_forward_solution(info, head_mri, source, forward_aal90.head_model, mindist=0)
    inside = np.linalg.norm(forward_aal90.positions - forward_aal90.head_model["r0"], axis=1)
    assert np.all(inside < forward_aal90.head_model["layers"][0]["rad"])
    assert fwd["nsource"] < 90  # 72 with MNE 1.13


# --- the gain ------------------------------------------------------------------------------


def test_one_active_region_gives_the_forward_column_and_mne_apply_forward(forward_tvb76):
    region = forward_tvb76.region_labels.index("rM1")
    activity = np.zeros((2, 76))
    activity[:, region] = 1.0
    pattern = forward_tvb76.gain @ activity[0]
    np.testing.assert_allclose(pattern, forward_tvb76.gain[:, region])
    np.testing.assert_allclose(
        pattern, DIPOLE_MOMENT * forward_tvb76.gain_per_dipole_moment[:, region]
    )
    stc = to_source_estimate(np.array([1.0, 2.0]), activity, forward_tvb76)
    fixed = mne.convert_forward_solution(
        forward_tvb76.forward, surf_ori=True, force_fixed=True, verbose=False
    )
    evoked = mne.apply_forward(fixed, stc, forward_tvb76.info, verbose=False)
    np.testing.assert_allclose(evoked.data[:, 0], pattern, rtol=1e-6)  # MNE's float32


def test_free_columns_are_head_frame_dipoles(forward_aal90, aal90):
    normals = np.random.default_rng(0).normal(size=(90, 3))
    fixed = region_forward(aal90, MONTAGE, orientations=normals)
    free = forward_aal90.gain_per_dipole_moment.reshape(21, 90, 3)
    expected = np.einsum("cnk,nk->cn", free, fixed.orientations)
    np.testing.assert_allclose(fixed.gain_per_dipole_moment, expected, rtol=1e-10)


def test_meg_sees_no_radial_dipole_in_a_sphere(aal90):
    """Synthetic point magnetometers (MNE ships no MEG Info): the sphere's radial theorem."""
    directions = np.random.default_rng(1).normal(size=(40, 3))
    directions[:, 2] = np.abs(directions[:, 2])
    directions /= np.linalg.norm(directions, axis=1)[:, None]
    centre = np.array([0.0, 0.0, 0.04])
    info = mne.create_info([f"M{i}" for i in range(40)], 1000.0, "mag")
    with info._unlock():
        info["dev_head_t"] = mne.transforms.Transform("meg", "head")
    for ch, direction in zip(info["chs"], directions, strict=True):
        ch["coil_type"] = mne.io.constants.FIFF.FIFFV_COIL_POINT_MAGNETOMETER
        ch["loc"][:3] = centre + 0.12 * direction
        ch["loc"][3:12] = np.r_[np.eye(3)[0], np.eye(3)[1], direction]
    sphere = mne.make_sphere_model(r0=centre, head_radius=None, verbose=False)
    forward = region_forward(aal90, info, head_model=sphere)
    radial = forward.positions - centre
    radial /= np.linalg.norm(radial, axis=1)[:, None]
    free = forward.gain.reshape(40, 90, 3)
    radial_field = np.einsum("cnk,nk->cn", free, radial)
    assert set(forward.units) == {"T"}
    assert np.abs(radial_field).max() < 1e-9 * np.abs(free).max()


def _inner_skull_bem():
    """A one-layer BEM on a coarse (ico-3) resampling of fsaverage's shipped inner skull."""
    surface = mne.read_bem_surfaces(
        fsaverage_directory() / "fsaverage-inner_skull-bem.fif", verbose=False
    )[0]
    ico = mne.surface._get_ico_surface(3)
    centre = surface["rr"].mean(0)
    directions = (surface["rr"] - centre) / np.linalg.norm(surface["rr"] - centre, axis=1)[:, None]
    nearest = np.argmax(ico["rr"] @ directions.T, axis=1)
    radius = np.linalg.norm(surface["rr"][nearest] - centre, axis=1)
    rr = centre + ico["rr"] * radius[:, None]
    fiff = mne.io.constants.FIFF
    brain = dict(rr=rr, tris=ico["tris"], id=fiff.FIFFV_BEM_SURF_ID_BRAIN, sigma=0.3,
                 coord_frame=fiff.FIFFV_COORD_MRI, np=len(rr), ntri=len(ico["tris"]))  # fmt: skip
    return mne.make_bem_solution([brain], verbose=False)


def test_one_layer_bem_for_meg_and_its_refusal_for_eeg(aal90):
    bem = _inner_skull_bem()
    with pytest.raises(ValueError, match="EEG needs a three-layer BEM.*has 1 layer"):
        region_forward(aal90, MONTAGE, head_model=bem)
    info = mne.create_info(["M0", "M1", "M2"], 1000.0, "mag")
    with info._unlock():
        info["dev_head_t"] = mne.transforms.Transform("meg", "head")
    for k, ch in enumerate(info["chs"]):
        ch["coil_type"] = mne.io.constants.FIFF.FIFFV_COIL_POINT_MAGNETOMETER
        ch["loc"][:12] = np.r_[0.13 * np.eye(3)[k] + [0, 0, 0.04], np.eye(3).ravel()]
    forward = region_forward(aal90, info, head_model=bem, outside="shrink")
    assert forward.forward["nsource"] == 90 and np.all(np.isfinite(forward.gain))


def test_seeg_contacts_in_the_tvb76_frame(tvb76):
    names, positions = read_tvb_sensors("seeg_588")
    info = connectome_sensors(names, positions, tvb76, to_mni=TVB76_TO_MNI_MM)
    forward = region_forward(tvb76, info, orientations="normal", to_mni=TVB76_TO_MNI_MM)
    assert forward.forward is None and forward.gain.shape == (588, 76)
    contacts = np.array([ch["loc"][:3] for ch in info["chs"]])
    direct = homogeneous_dipole_gain(contacts, forward.positions).reshape(588, 76, 3)
    np.testing.assert_allclose(
        forward.gain_per_dipole_moment, np.einsum("cnk,nk->cn", direct, forward.orientations)
    )


def test_tvb_data_eeg_projection_agrees_with_the_mne_sphere(tvb76):
    """Region topographies of tvb-data's EEG projection against the MNE sphere forward."""
    projection = np.load(
        resources.files("tvb_data.projectionMatrix") / "projection_eeg_65_surface_16k.npy"
    )
    mapping = np.loadtxt(
        resources.files("tvb_data.regionMapping") / "regionMapping_16k_76.txt", dtype=int
    )
    usable = np.all(np.isfinite(projection), axis=1)  # IO1 and IO2 are NaN
    tvb_gain = np.stack([projection[usable][:, mapping == r].sum(1) for r in range(76)], 1)
    names, positions = read_tvb_sensors("eeg_brainstorm_65")
    # the file's origin is not tvb76's: find the shift that puts the electrodes on the scalp
    scalp = cKDTree(_surface("scalp_1082.zip"))
    fit = minimize(lambda x: np.mean(scalp.query(positions - x)[0] ** 2), [0, 0, 50.0],
                   method="Nelder-Mead")  # fmt: skip
    assert np.sqrt(fit.fun) < 6 and 50 < fit.x[2] < 70
    info = connectome_sensors(
        np.array(names)[usable], positions[usable] - fit.x, tvb76, ch_type="eeg",
        to_mni=TVB76_TO_MNI_MM,
    )  # fmt: skip
    with pytest.warns(UserWarning, match="regions lay outside"):
        forward = region_forward(
            tvb76, info, orientations="normal", to_mni=TVB76_TO_MNI_MM, outside="shrink"
        )
    per_region = _correlations(tvb_gain, forward.gain)
    mean_topography = _correlations(
        tvb_gain.mean(1, keepdims=True), forward.gain.mean(1, keepdims=True)
    )
    print(
        f"\ntvb-data EEG projection vs MNE sphere (average reference, {usable.sum()} channels):"
        f" median r = {np.median(per_region):.3f} (quartiles {np.percentile(per_region, 25):.3f},"
        f" {np.percentile(per_region, 75):.3f}; min {per_region.min():.3f});"
        f" mean topography r = {mean_topography[0]:.3f}; shift {np.round(fit.x, 1)} mm"
    )
    assert np.median(per_region) > 0.3


def _correlations(a, b):
    a, b = a - a.mean(0), b - b.mean(0)  # average reference
    return np.sum(a * b, 0) / np.linalg.norm(a, axis=0) / np.linalg.norm(b, axis=0)


# --- MNE objects and files -----------------------------------------------------------------


def _sensor_output(forward, frequency_hz=40.0, period_ms=1.0, n_time=2000, start_ms=250.0):
    """What a sensor monitor returns for one region oscillating at ``frequency_hz``."""
    times = start_ms + period_ms * np.arange(n_time)
    activity = np.zeros((n_time, len(forward.region_labels)))
    region = forward.region_labels.index("rM1")
    activity[:, region] = 1.0 + np.sin(2 * np.pi * frequency_hz * times / 1000.0)
    sensors = activity @ forward.gain.T
    return times, sensors[:, None, :, None]  # (n_time, n_voi, n_sensor, n_mode)


def test_psd_peak_is_the_simulated_frequency(forward_tvb76):
    times, data = _sensor_output(forward_tvb76, frequency_hz=40.0)
    raw = to_raw(times, data, forward_tvb76)
    spectrum = raw.compute_psd(fmin=1.0, fmax=200.0, verbose=False)
    psd, freqs = spectrum.get_data(return_freqs=True)
    peak = freqs[np.argmax(psd.mean(0))]
    print(
        f"\nPSD peak {peak:.2f} Hz for a 40 Hz region signal "
        f"(resolution {freqs[1] - freqs[0]:.2f} Hz)"
    )
    assert abs(peak - 40.0) <= freqs[1] - freqs[0]


def test_raw_units_sfreq_and_first_samp_follow_the_monitor(forward_tvb76):
    times, data = _sensor_output(forward_tvb76, period_ms=0.5, n_time=400, start_ms=125.0)
    raw = to_raw(times, data, forward_tvb76)
    assert raw.info["sfreq"] == 2000.0 and raw.first_samp == 250
    np.testing.assert_allclose(raw.times + raw.first_time, times / 1000.0, atol=1e-12)
    assert {ch["unit"] for ch in raw.info["chs"]} == {mne.io.constants.FIFF.FIFF_UNIT_V}
    np.testing.assert_allclose(raw.get_data(), data[:, 0, :, 0].T)  # V, as the gain gives
    assert raw.ch_names == list(forward_tvb76.ch_names)
    positions = raw.get_montage().get_positions()["ch_pos"]
    np.testing.assert_allclose(positions["Cz"], forward_tvb76.info["chs"][10]["loc"][:3])


def test_batch_output_converts_per_member(forward_tvb76):
    times, data = _sensor_output(forward_tvb76, n_time=100)
    batch = xr.DataArray(
        np.stack([data[:, :, :, 0], 2 * data[:, :, :, 0]]),
        dims=("member", "time", "state_variable", "sensor"),
        coords={"time": times, "state_variable": ["r_e"], "sensor": list(forward_tvb76.ch_names)},
    )
    raw = to_raw(None, batch, forward_tvb76, variable="r_e", member=1)
    np.testing.assert_allclose(raw.get_data(), 2 * data[:, 0, :, 0].T)
    assert raw.first_samp == 250
    with pytest.raises(ValueError, match="The data hold 2 members; allowed is one"):
        to_raw(None, batch, forward_tvb76)


def test_fif_and_netcdf_round_trips(forward_tvb76, tmp_path):
    times, data = _sensor_output(forward_tvb76, n_time=300)
    raw = to_raw(times, data, forward_tvb76)
    path = save_fif(raw, tmp_path / "sim_raw.fif")
    back = mne.io.read_raw_fif(path, preload=True, verbose=False)
    np.testing.assert_allclose(back.get_data(), raw.get_data(), rtol=1e-6)
    assert back.first_samp == raw.first_samp and back.ch_names == raw.ch_names
    assert [p.name for p in tmp_path.iterdir()] == ["sim_raw.fif"]
    dataset = sensor_dataset(times, data, forward_tvb76)
    save_sensor_dataset(dataset, tmp_path / "sensors.nc")
    with xr.open_dataset(tmp_path / "sensors.nc", engine="h5netcdf") as read:
        np.testing.assert_array_equal(read["signal"].values, data[:, 0, :, 0])
        assert list(read["sensor"].values) == list(forward_tvb76.ch_names)
        assert read["signal"].attrs["units"] == "V" and read.attrs["first_samp"] == 250
        assert set(read["ch_type"].values) == {"eeg"} and read["x"].attrs["units"] == "m"


# --- bad input -----------------------------------------------------------------------------


def test_bad_choices_and_arrays_are_named(aal90, tvb76):
    with pytest.raises(ValueError, match="Invalid value for the 'outside' parameter. Allowed "
                       "values are 'raise', 'shrink', but got 'drop' instead."):  # fmt: skip
        region_forward(aal90, MONTAGE, outside="drop")
    with pytest.raises(ValueError, match="'orientations' parameter. Allowed values are 'free'"):
        region_forward(aal90, MONTAGE, orientations="radial")
    with pytest.raises(ValueError, match="orientations='normal' needs the connectivity's"):
        region_forward(aal90, MONTAGE, orientations="normal")
    with pytest.raises(ValueError, match=r"'orientations'.*shape \(90, 3\).*got shape \(76, 3\)"):
        region_forward(aal90, MONTAGE, orientations=tvb76.orientations)
    with pytest.raises(ValueError, match="'to_mni' parameter.*got shape \\(2,\\)"):
        region_forward(aal90, MONTAGE, to_mni=(1.0, 2.0))
    with pytest.raises(
        ValueError, match="'dipole_moment' parameter. Allowed are finite values > 0"
    ):
        region_forward(aal90, MONTAGE, dipole_moment=-1e-9)
    with pytest.raises(ValueError, match="'head_model'.*got 'nowhere-sol.fif' instead"):
        region_forward(aal90, MONTAGE, head_model="nowhere-sol.fif")
    with pytest.raises(TypeError, match="'sensors' parameter. Allowed are mne.Info"):
        region_forward(aal90, np.zeros((3, 3)))


def test_montage_missing_positions_is_named(aal90):
    info = mne.create_info(["Cz", "Pz", "Xx1"], 1000.0, "eeg")
    info.set_montage(MONTAGE, on_missing="ignore")
    with pytest.raises(ValueError, match="no position for 1 of 3 channels: 'Xx1'"):
        region_forward(aal90, info)


def test_bad_data_for_mne_is_named(forward_tvb76, forward_aal90):
    times, data = _sensor_output(forward_tvb76, n_time=50)
    broken = data.copy()
    broken[7, 0, 3, 0] = np.nan
    with pytest.raises(
        ValueError, match=r"1 non-finite values \(first at t = 257 ms, sensor 'F7'\)"
    ):
        to_raw(times, broken, forward_tvb76)
    with pytest.raises(ValueError, match=r"one column per sensor \(21\), but got \(50, 20\)"):
        to_raw(times, data[:, :, :20], forward_tvb76)
    with pytest.raises(ValueError, match=r"Allowed are \(n_time, n_voi, n_space, n_mode\)"):
        to_raw(times, data[:, 0], forward_tvb76)
    with pytest.raises(ValueError, match=r"one row per time \(49\)"):
        to_raw(times[1:], data, forward_tvb76)
    with pytest.raises(ValueError, match="evenly spaced increasing times"):
        to_raw(np.r_[times[:-1], times[-1] + 0.5], data, forward_tvb76)
    with pytest.raises(ValueError, match="'variable' parameter. Allowed are integers from 0 to 0"):
        to_raw(times, data, forward_tvb76, variable=2)
    with pytest.raises(ValueError, match=r"one column per region \(90\), but got \(50, 76\)"):
        to_source_estimate(times, np.zeros((50, 76)), forward_aal90)
    with pytest.warns(UserWarning, match="0.25 ms off the grid"):
        to_raw(times + 0.25, data, forward_tvb76)


def test_averaging_monitor_stamps_count_window_starts(forward_tvb76):
    """A TemporalAverage-like stamp (the middle of each window) is the window start for MNE."""
    times, data = _sensor_output(forward_tvb76, period_ms=1.0, n_time=50, start_ms=0.0)
    raw = to_raw(times + 0.5, data, forward_tvb76)  # 0.5, 1.5, ... ms: no warning
    assert raw.first_samp == 0 and raw.info["sfreq"] == 1000.0
    raw = to_raw(times + 10.5, data, forward_tvb76)
    assert raw.first_samp == 10


def test_bad_files_and_sensors_are_named(forward_tvb76, tmp_path, tvb76):
    times, data = _sensor_output(forward_tvb76, n_time=20)
    raw = to_raw(times, data, forward_tvb76)
    with pytest.raises(ValueError, match="FIF names ending in 'raw.fif'.*got 'sim.fif'"):
        save_fif(raw, tmp_path / "sim.fif")
    wrong = [f"E{i}" for i in range(21)]
    labels = xr.DataArray(
        data[:, 0, :, 0], dims=("time", "sensor"), coords={"time": times, "sensor": wrong}
    )
    with pytest.raises(ValueError, match="sensor labels do not match the channels"):
        to_raw(None, labels, forward_tvb76)
    with pytest.raises(TypeError, match="'sensors' parameter. Allowed are a RegionForward"):
        to_raw(times, data, "fsaverage_1020")
    names, positions = read_tvb_sensors("seeg_588")
    seeg = region_forward(tvb76, connectome_sensors(names, positions, tvb76, to_mni=(0, 0, 0)),
                          to_mni=(0, 0, 0))  # fmt: skip
    with pytest.raises(ValueError, match="Allowed is a RegionForward with EEG or MEG channels"):
        to_source_estimate(times, np.zeros((20, 76)), seeg)
    with pytest.raises(ValueError, match=r"'positions'.*shape \(588, 3\).*got shape \(587, 3\)"):
        connectome_sensors(names, positions[1:], tvb76)


def test_psd_peak_of_a_simulated_network_is_its_frequency(tvb76, forward_tvb76):
    """PING gamma on tvb76 in the engine; the region spectrum's peak against the EEG's."""
    from tvb.simulator import coupling, integrators, monitors, simulator

    from tvb_ngnmm.backend import NumbaBackend
    from tvb_ngnmm.connectomes import normalize
    from tvb_ngnmm.models.presets import make_model

    sim = simulator.Simulator(
        model=make_model("ping_gamma"), connectivity=normalize(tvb76, "row"),
        coupling=coupling.Linear(a=np.array([0.5])),
        integrator=integrators.HeunDeterministic(dt=0.05),
        monitors=(monitors.SubSample(period=1.0),), simulation_length=1500.0,
    )  # fmt: skip
    sim.configure()  # a random initial history (TVB draws it from NumPy's global generator)
    ((times, states),) = NumbaBackend().run_sim(sim, simulation_length=1500.0)
    rates = states[500:, 0, :, 0]  # r_e after the transient, (n_time, 76)
    centred = rates - rates.mean(0)
    power = np.abs(np.fft.rfft(centred * np.hanning(len(centred))[:, None], axis=0)) ** 2
    freqs = np.fft.rfftfreq(len(centred), 1e-3)
    network_hz = freqs[1:][np.argmax(power[1:].mean(1))]
    eeg = (rates @ forward_tvb76.gain.T)[:, None, :, None]
    raw = to_raw(times[500:], eeg, forward_tvb76)
    psd, psd_freqs = raw.compute_psd(n_fft=1000, fmin=5.0, fmax=200.0, verbose=False).get_data(
        return_freqs=True
    )
    eeg_hz = psd_freqs[np.argmax(psd.mean(0))]
    # The same spectrum computed independently from the sensor data handed to MNE.
    sensors = eeg[:, 0, :, 0] - eeg[:, 0, :, 0].mean(0)
    sensor_power = np.abs(np.fft.rfft(sensors * np.hanning(len(sensors))[:, None], axis=0)) ** 2
    band = (freqs >= 5.0) & (freqs <= 200.0)
    numpy_hz = freqs[band][np.argmax(sensor_power[band].mean(1))]
    print(f"\nsimulated network {network_hz:.1f} Hz, raw.compute_psd() peak {eeg_hz:.1f} Hz, "
          f"NumPy's spectrum of the sensors {numpy_hz:.1f} Hz")  # fmt: skip
    assert 30.0 < network_hz < 80.0 and abs(eeg_hz - numpy_hz) <= 1.0
    # At the sensors the network's rhythm or, where regions in antiphase cancel it, its harmonic
    assert min(abs(eeg_hz - network_hz), abs(eeg_hz - 2 * network_hz)) <= 1.0


def test_regions_sharing_a_centre_are_named():
    """Issue 24, point 8: tvb192's regions share 77 centres (231 distinct gain columns of 576),
    which gave identical topographies without a word: a warning says how many share."""
    tvb192 = load_connectome("tvb192")
    _, inverse, counts = np.unique(tvb192.centres, axis=0, return_inverse=True, return_counts=True)
    n_shared = int(np.sum(counts[inverse.ravel()] > 1))
    assert (n_shared, len(counts)) == (116, 77)
    match = rf"{n_shared} of 192 regions share their centre with other regions \(77 distinct"
    with pytest.warns(UserWarning, match=match):
        forward = region_forward(tvb192, MONTAGE, to_mni=TVB76_TO_MNI_MM, outside="shrink")
    assert len(np.unique(forward.gain, axis=1).T) == 3 * 77  # the identical topographies


def test_all_regions_at_one_centre_are_refused(aal90):
    """Issue 24, point 8: all-zero centres (a connectome without them) gave every region the
    same topography."""
    flat = copy.copy(aal90)
    flat.centres = np.zeros_like(aal90.centres)
    match = (
        r"Invalid value for the 'centres' of the connectivity\. Allowed are region centres that "
        r"tell the regions apart, but got the same centre \(0\.0, 0\.0, 0\.0\) for all 90 regions"
    )
    with pytest.raises(ValueError, match=match):
        region_forward(flat, MONTAGE)


def test_saving_something_else_is_named(tmp_path):
    """Issue 24 (probe): a string for the Raw, None for the dataset raised AttributeError."""
    with pytest.raises(TypeError, match=r"'raw' parameter\. Allowed is an mne\.io\.Raw .*got str"):
        save_fif("raw", tmp_path / "sim_raw.fif")
    match = r"'dataset' parameter\. Allowed is an xarray\.Dataset .*, but got NoneType instead"
    with pytest.raises(TypeError, match=match):
        save_sensor_dataset(None, tmp_path / "sensors.nc")
    assert list(tmp_path.iterdir()) == []
