//! Property tests of the detector on generated hit streams (see the module header).

use super::*;
