from ._profile import FirmProfile
