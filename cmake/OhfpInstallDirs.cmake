# Where ohfp installs what the programs must find at run time, relative to each other (GNUInstallDirs), so an
# installed tree can move: the HostFactory scripts find bin/ohfp from their own directory, and `ohfp init` and
# ohfp-hf-simulator find the scripts from theirs. Included before the targets, which compile the paths in.
include(GNUInstallDirs)
set(OHFP_INSTALL_SHIMDIR "${CMAKE_INSTALL_LIBEXECDIR}/ohfp/hostfactory")
file(RELATIVE_PATH OHFP_INSTALL_SHIM_TO_BIN "/prefix/${OHFP_INSTALL_SHIMDIR}" "/prefix/${CMAKE_INSTALL_BINDIR}")
file(RELATIVE_PATH OHFP_INSTALL_BIN_TO_SHIMS "/prefix/${CMAKE_INSTALL_BINDIR}" "/prefix/${OHFP_INSTALL_SHIMDIR}")
