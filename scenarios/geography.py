"""The geography of generated allocation instances (:func:`allokering.generate.generate`),
for ``remiss allocate generate`` and the benchmarks.

Areas: the municipalities of a region file, read as every scenario reads them
(:func:`scenarios.loader.load_region_file`); :func:`vgr_areas` gives the 49 of
``scenarios/regioner/vgr.yaml`` (built from ``../shared/data/vgr_kommuner.csv``).

Units: :data:`VGR_UNIT_SITES`, 40 units at VGR hospital sites and private clinics
(approximate coordinates of the site; several units per large site stand for different
specialties/clinics), ordered so that the first n give a region-wide spread. They are
not the region file's 16 units: 12 of the sites are not in it (Dalsland, Mariestad,
Strömstad, Lysekil and eight private clinics), the groups are the generator's own
(``privat``, and Alingsås, Kungälv, Angered and FSS apart instead of *Sjukhusen i
väster*), and the coordinates of the shared sites differ by up to 2 km. Deriving them
from the region file would move every generated instance (unit ids, distances,
catchments, capacities), so the stored benchmark instances and their published figures
would no longer match; this list is the one copy of them.
"""

from __future__ import annotations

from allokering.generate import AreaSite, UnitSite
from scenarios.loader import REGION_DIR, load_region_file
from scenarios.schema import RegionSpec


def area_sites(region: RegionSpec) -> tuple[AreaSite, ...]:
    """A region's areas as generator areas, in file order (the order draws depend on)."""
    return tuple(AreaSite(a.id, a.name, a.population, a.lat, a.lon) for a in region.areas)


def vgr_areas() -> tuple[AreaSite, ...]:
    """The 49 municipalities of ``scenarios/regioner/vgr.yaml``."""
    return area_sites(load_region_file(REGION_DIR / "vgr.yaml"))


VGR_UNIT_SITES: tuple[UnitSite, ...] = (
    UnitSite("SU-SAH-1", "SU Sahlgrenska", "SU", 57.6836, 11.9600),
    UnitSite("SAS-BOR-1", "SÄS Borås", "SÄS", 57.7230, 12.9270),
    UnitSite("NU-NAL-1", "NU NÄL Trollhättan", "NU", 58.2810, 12.2880),
    UnitSite("SKAS-SKO-1", "SkaS Skövde", "SkaS", 58.3890, 13.8460),
    UnitSite("SU-OST-1", "SU Östra", "SU", 57.7214, 12.0530),
    UnitSite("NU-UDD-1", "NU Uddevalla", "NU", 58.3530, 11.9280),
    UnitSite("SKAS-LID-1", "SkaS Lidköping", "SkaS", 58.5050, 13.1570),
    UnitSite("SU-MOL-1", "SU Mölndal", "SU", 57.6590, 12.0140),
    UnitSite("ALI-1", "Alingsås lasarett", "Alingsås", 57.9290, 12.5280),
    UnitSite("KUN-1", "Kungälvs sjukhus", "Kungälv", 57.8700, 11.9780),
    UnitSite("SAS-SKE-1", "SÄS Skene", "SÄS", 57.4870, 12.6450),
    UnitSite("SKAS-FAL-1", "SkaS Falköping", "SkaS", 58.1710, 13.5520),
    UnitSite("NU-DAL-1", "NU Dalslands sjukhus", "NU", 58.8030, 12.1640),
    UnitSite("SKAS-MAR-1", "SkaS Mariestad", "SkaS", 58.7100, 13.8230),
    UnitSite("ANG-1", "Angereds närsjukhus", "Angered", 57.7960, 12.0490),
    UnitSite("FRO-1", "Frölunda specialistsjukhus", "FSS", 57.6520, 11.9110),
    UnitSite("NU-STR-1", "NU Strömstad", "NU", 58.9380, 11.1750),
    UnitSite("CAP-LUN-1", "Capio Lundby", "privat", 57.7180, 11.9300),
    UnitSite("CARL-1", "Carlanderska", "privat", 57.6960, 11.9920),
    UnitSite("PRIV-ULR-1", "Privat klinik Ulricehamn", "privat", 57.7920, 13.4180),
    UnitSite("NU-LYS-1", "NU Lysekil", "NU", 58.2740, 11.4350),
    UnitSite("PRIV-VAN-1", "Privat klinik Vänersborg", "privat", 58.3800, 12.3230),
    UnitSite("PRIV-LER-1", "Privat klinik Lerum", "privat", 57.7700, 12.2690),
    UnitSite("PRIV-STE-1", "Privat klinik Stenungsund", "privat", 58.0700, 11.8180),
    UnitSite("PRIV-TID-1", "Privat klinik Tidaholm", "privat", 58.1810, 13.9560),
    UnitSite("PRIV-AMA-1", "Privat klinik Åmål", "privat", 59.0510, 12.7040),
    UnitSite("PRIV-GBG-1", "Privat specialistklinik Göteborg C", "privat", 57.7070, 11.9670),
    UnitSite("PRIV-PAR-1", "Privat klinik Partille", "privat", 57.7390, 12.1060),
    UnitSite("SU-SAH-2", "SU Sahlgrenska (klinik 2)", "SU", 57.6836, 11.9600),
    UnitSite("SAS-BOR-2", "SÄS Borås (klinik 2)", "SÄS", 57.7230, 12.9270),
    UnitSite("NU-NAL-2", "NU NÄL Trollhättan (klinik 2)", "NU", 58.2810, 12.2880),
    UnitSite("SKAS-SKO-2", "SkaS Skövde (klinik 2)", "SkaS", 58.3890, 13.8460),
    UnitSite("SU-OST-2", "SU Östra (klinik 2)", "SU", 57.7214, 12.0530),
    UnitSite("NU-UDD-2", "NU Uddevalla (klinik 2)", "NU", 58.3530, 11.9280),
    UnitSite("SU-MOL-2", "SU Mölndal (klinik 2)", "SU", 57.6590, 12.0140),
    UnitSite("SKAS-LID-2", "SkaS Lidköping (klinik 2)", "SkaS", 58.5050, 13.1570),
    UnitSite("ALI-2", "Alingsås lasarett (klinik 2)", "Alingsås", 57.9290, 12.5280),
    UnitSite("KUN-2", "Kungälvs sjukhus (klinik 2)", "Kungälv", 57.8700, 11.9780),
    UnitSite("CAP-LUN-2", "Capio Lundby (klinik 2)", "privat", 57.7180, 11.9300),
    UnitSite("SAS-SKE-2", "SÄS Skene (klinik 2)", "SÄS", 57.4870, 12.6450),
)
