# Installing Spool and packaging it as a .deb. Included last from the top-level CMakeLists.txt,
# once every target exists. The executables' own install() rules sit next to them (app/);
# everything else the installed program needs, and the CPack settings, is here.
#
#   cmake --install build --prefix ~/.local     # or /usr/local, or a staging DESTDIR
#   scripts/package                             # a checked .deb in build/

# --- what the package says about itself -----------------------------------------------------
set(SPOOL_HOMEPAGE "https://github.com/spool-desktop/spool" CACHE STRING
    "Project home page, shown by software centres and in the package")
set(SPOOL_PACKAGE_MAINTAINER "Spool maintainers <spool-desktop@users.noreply.github.com>"
    CACHE STRING "Maintainer field of the .deb (Name <address>)")
# No license has been chosen for Spool yet. Until one is, the package says so (an SPDX
# LicenseRef, which AppStream and the Debian copyright format both accept) rather than
# guessing one; change these two lines when it is chosen.
set(SPOOL_LICENSE "LicenseRef-proprietary")
set(SPOOL_LICENSE_TEXT "No license has been granted for Spool yet: all rights are reserved by its copyright holders.")

# --- installed files ---------------------------------------------------------------------------
# The window is a separate executable once it is split from the command line; `spool` starts
# it from here, out of PATH.
if(TARGET spool-window)
    install(TARGETS spool-window RUNTIME DESTINATION "${CMAKE_INSTALL_LIBEXECDIR}/spool")
endif()
# The image helper of `spool chat --attach` (QtGui, kept out of `spool`).
if(TARGET spool-image)
    install(TARGETS spool-image RUNTIME DESTINATION "${CMAKE_INSTALL_LIBEXECDIR}/spool")
endif()

# The keychain module KeyStore loads on first use (engine/providers/keychainmodule.h).
if(TARGET spool-keychain)
    install(TARGETS spool-keychain LIBRARY DESTINATION "${CMAKE_INSTALL_LIBEXECDIR}/spool")
endif()

# Desktop integration: one id names the desktop file, the icon and the AppStream component,
# and the window sets it as its desktop file name (SPOOL_APP_ID, top-level CMakeLists.txt).
install(FILES "${PROJECT_SOURCE_DIR}/resources/${SPOOL_APP_ID}.desktop"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/applications")
install(FILES "${PROJECT_SOURCE_DIR}/resources/icons/spool.svg"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps"
        RENAME "${SPOOL_APP_ID}.svg")
configure_file("${PROJECT_SOURCE_DIR}/resources/${SPOOL_APP_ID}.metainfo.xml.in"
               "${PROJECT_BINARY_DIR}/${SPOOL_APP_ID}.metainfo.xml" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/${SPOOL_APP_ID}.metainfo.xml"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/metainfo")

# The built-in policies are compiled into the program; this copy is for reading (and for
# starting one's own in the policies folder), so it is data, not configuration in /etc.
install(DIRECTORY "${PROJECT_SOURCE_DIR}/resources/policies/"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/spool/policies"
        FILES_MATCHING PATTERN "*.cedar")

# The manual page, written from the built binary's help at build time.
find_program(SPOOL_GZIP gzip)
set(_manpage "${PROJECT_BINARY_DIR}/man/spool.1")
set(_manpage_installed "${_manpage}")
if(SPOOL_GZIP)
    set(_manpage_installed "${_manpage}.gz")
endif()
add_custom_command(
    OUTPUT "${_manpage}" "${_manpage_installed}"
    COMMAND "${CMAKE_COMMAND}" "-DSPOOL=$<TARGET_FILE:spool>" "-DOUTPUT=${_manpage}"
            "-DVERSION=${PROJECT_VERSION}" "-DDESCRIPTION=${PROJECT_DESCRIPTION}"
            "-DWORK_DIR=${PROJECT_BINARY_DIR}/man/work" "-DGZIP=${SPOOL_GZIP}"
            -P "${PROJECT_SOURCE_DIR}/cmake/GenerateManPage.cmake"
    DEPENDS spool "${PROJECT_SOURCE_DIR}/cmake/GenerateManPage.cmake"
    COMMENT "Writing the spool(1) manual from spool --help"
    VERBATIM)
add_custom_target(spool-manpage ALL DEPENDS "${_manpage_installed}")
install(FILES "${_manpage_installed}" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1")

# share/doc/spool (GNUInstallDirs' DOCDIR would use the project name, "Spool"): the
# machine-readable copyright file and the Debian changelog, which Debian wants gzip -9n
# compressed (no name or time stamp, so rebuilds are identical).
set(_docdir "${CMAKE_INSTALL_DATAROOTDIR}/doc/spool")
configure_file("${PROJECT_SOURCE_DIR}/packaging/debian/copyright.in"
               "${PROJECT_BINARY_DIR}/packaging/copyright" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/packaging/copyright" DESTINATION "${_docdir}")
set(_changelog "${PROJECT_SOURCE_DIR}/packaging/debian/changelog")
if(SPOOL_GZIP)
    set(_changelog_gz "${PROJECT_BINARY_DIR}/packaging/changelog.Debian.gz")
    add_custom_command(
        OUTPUT "${_changelog_gz}"
        COMMAND sh -c "\"$0\" -9nc \"$1\" > \"$2\"" "${SPOOL_GZIP}" "${_changelog}" "${_changelog_gz}"
        DEPENDS "${_changelog}"
        COMMENT "Compressing the Debian changelog"
        VERBATIM)
    add_custom_target(spool-changelog ALL DEPENDS "${_changelog_gz}")
    install(FILES "${_changelog_gz}" DESTINATION "${_docdir}")
else()
    install(FILES "${_changelog}" DESTINATION "${_docdir}" RENAME changelog.Debian)
endif()
# Lintian tags that do not apply to a package Spool builds itself, each with its reason.
install(FILES "${PROJECT_SOURCE_DIR}/packaging/debian/lintian-overrides"
        DESTINATION "${CMAKE_INSTALL_DATAROOTDIR}/lintian/overrides" RENAME spool)

# --- the .deb (cpack -G DEB, run by scripts/package) ------------------------------------------
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "spool")
set(CPACK_PACKAGE_VENDOR "Spool developers")
set(CPACK_PACKAGE_CONTACT "${SPOOL_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_HOMEPAGE_URL "${SPOOL_HOMEPAGE}")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_PACKAGE_DIRECTORY "${PROJECT_BINARY_DIR}")
# Debian's synopsis line: short, no leading article, no final full stop.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "workbench to see and control everything an AI agent does")
# The long description, wrapped as Debian wants it (CPack does not wrap it).
set(CPACK_PACKAGE_DESCRIPTION_FILE "${PROJECT_SOURCE_DIR}/packaging/debian/description")
set(CPACK_STRIP_FILES ON) # Debian ships stripped binaries; debug info stays in the build tree

set(CPACK_DEBIAN_FILE_NAME "DEB-DEFAULT") # spool_<version>-<revision>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE "1")     # the Debian revision; see packaging/debian/changelog
set(CPACK_DEBIAN_PACKAGE_SECTION "utils")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
# dpkg-shlibdeps computes the libraries' packages. It cannot see the plugins Qt loads at run
# time: the SQLite driver holds the journal, so it is a dependency too.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libqt6sql6-sqlite")
# Shell commands run inside bubblewrap (without it they are refused unless the user allows
# unsandboxed commands); the SVG plugins draw the icon; qt6-wayland lets the window run on
# Wayland natively rather than through XWayland (X11 support is in libqt6gui6).
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "bubblewrap, libqt6svg6, qt6-wayland")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)

# ctest -L package: package the build as it is and check it (scripts/package --no-build).
# Skipped (exit 77) when the checking tools are missing and cannot be installed.
add_test(NAME package COMMAND "${PROJECT_SOURCE_DIR}/scripts/package" --no-build)
set_tests_properties(package PROPERTIES
    LABELS package
    ENVIRONMENT "SPOOL_BUILD_DIR=${PROJECT_BINARY_DIR}"
    SKIP_RETURN_CODE 77
    TIMEOUT 300)
