#ifndef C_SYSTEMD_SHIM_H
#define C_SYSTEMD_SHIM_H
// libsystemd's declarations only: the module does not link it. Cotyledon loads
// libsystemd.so.0 with dlopen when systemd asks for something it reads with it (see
// SystemdLibrary.swift), so a daemon started any other way never maps it, nor the
// compression and crypto libraries it depends on.
#include <systemd/sd-daemon.h>

/// The types of the functions Cotyledon looks up in libsystemd.so.0.
typedef __typeof__(&sd_watchdog_enabled) ccotyledon_sd_watchdog_enabled;
typedef __typeof__(&sd_listen_fds_with_names) ccotyledon_sd_listen_fds_with_names;
#endif
