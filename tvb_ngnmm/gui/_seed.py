"""Entry point of the process that seeds a TVB home: a project with a connectivity.

Run as ``python -m tvb_ngnmm.gui._seed PROJECT_NAME CONNECTIVITY_ZIP [CORTEX_ZIP REGION_MAPPING]``
with ``TVB_USER_HOME`` set; uses TVB's scripting interface ``tvb.interfaces.command.lab``. With a
cortex (a tvb-data surface zip) and its region mapping onto the connectivity (a text file), the
project holds them too, with tvb-data's local connectivity of the cortex, for surface simulations.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tvb.basic.profile import TvbProfile


def _imported(lab, project_id, adapter_class, view_model, what):
    """Run an import operation to its end; its result's GID (None and a message if it failed)."""
    # deferred: optional extra 'gui', imported after its profile is set
    from tvb.core.adapters.abcadapter import ABCAdapter  # noqa: PLC0415
    from tvb.core.entities.model.model_operation import STATUS_FINISHED  # noqa: PLC0415

    adapter = ABCAdapter.build_adapter_from_class(adapter_class)
    operation = lab.wait_to_finish(lab.fire_operation(project_id, adapter, view_model))
    if operation.status != STATUS_FINISHED:
        print(f"Importing {what} failed: {operation.additional_info}", file=sys.stderr)
        return None
    return lab.get_operation_results(operation.id)[0].gid


def _import_cortex(lab, project_id, connectivity_gid, cortex_zip, region_mapping) -> bool:
    # deferred: optional extra 'gui', imported after its profile is set
    from tvb.adapters.uploaders.region_mapping_importer import (  # noqa: PLC0415
        RegionMappingImporter,
        RegionMappingImporterModel,
    )
    from tvb.adapters.uploaders.zip_surface_importer import (  # noqa: PLC0415
        ZIPSurfaceImporter,
        ZIPSurfaceImporterModel,
    )
    from tvb.datatypes.surfaces import SurfaceTypesEnum  # noqa: PLC0415

    surface = ZIPSurfaceImporterModel()
    surface.uploaded, surface.surface_type = cortex_zip, SurfaceTypesEnum.CORTICAL_SURFACE
    surface.zero_based_triangles = True
    surface_gid = _imported(lab, project_id, ZIPSurfaceImporter, surface, cortex_zip)
    if surface_gid is None:
        return False
    mapping = RegionMappingImporterModel()
    mapping.mapping_file, mapping.surface = region_mapping, surface_gid
    mapping.connectivity = connectivity_gid
    if _imported(lab, project_id, RegionMappingImporter, mapping, region_mapping) is None:
        return False
    return _import_local_connectivity(lab, project_id, surface_gid)


def _import_local_connectivity(lab, project_id, surface_gid) -> bool:
    """Import tvb-data's local connectivity of the 16k cortex (TVB would otherwise compute one
    from geodesic distances at each surface simulation: minutes)."""
    # deferred: optional extra 'gui', imported after its profile is set
    from tvb.adapters.uploaders.tvb_importer import TVBImporter, TVBImporterModel  # noqa: PLC0415
    from tvb.core.entities.generic_attributes import GenericAttributes  # noqa: PLC0415
    from tvb.core.neocom import h5  # noqa: PLC0415
    from tvb.datatypes.local_connectivity import LocalConnectivity  # noqa: PLC0415

    local = LocalConnectivity.from_file()
    local.surface = h5.load_from_gid(surface_gid)
    path = Path(TvbProfile.current.TVB_TEMP_FOLDER) / f"LocalConnectivity_{local.gid.hex}.h5"
    with h5.REGISTRY.get_h5file_for_datatype(LocalConnectivity)(str(path)) as stored:
        stored.store(local)
        stored.store_generic_attributes(GenericAttributes())
    model = TVBImporterModel()
    model.data_file = str(path)
    return _imported(lab, project_id, TVBImporter, model, "the local connectivity") is not None


def main(argv: list[str]) -> int:
    """Create the project (if absent) and import the connectivity (and cortex) into it."""
    project_name, zip_path, *cortex = argv

    TvbProfile.set_profile(TvbProfile.COMMAND_PROFILE)
    # deferred: optional extra 'gui', imported after its profile is set
    from tvb.core.entities.model.model_operation import STATUS_FINISHED  # noqa: PLC0415
    from tvb.core.entities.storage import dao  # noqa: PLC0415
    from tvb.interfaces.command import lab  # noqa: PLC0415

    if any(project.name == project_name for project in dao.get_all_projects()):
        return 0
    project = lab.new_project(project_name)
    # TVB's scripting interface caps each operation at 1 MB of results, which a 1 s simulation
    # of 76 regions exceeds; a project made in the GUI has no cap by default
    project.max_operation_size = None
    project = dao.store_entity(project)
    operation = lab.wait_to_finish(lab.import_conn_zip(project.id, zip_path))
    if operation.status != STATUS_FINISHED:
        print(f"Importing {zip_path} failed: {operation.additional_info}", file=sys.stderr)
        return 1
    if cortex:
        connectivity_gid = lab.get_operation_results(operation.id)[0].gid
        if not _import_cortex(lab, project.id, connectivity_gid, *cortex):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
