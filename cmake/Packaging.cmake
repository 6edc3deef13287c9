# Installing Spool. Included last from the top-level CMakeLists.txt, once every target
# exists. The executables' own install() rules sit next to them (app/); everything else the
# installed program needs is here.
#
#   cmake --install build --prefix ~/.local     # or /usr/local, or a staging DESTDIR

# --- what the package says about itself -----------------------------------------------------
set(SPOOL_HOMEPAGE "https://github.com/spool-desktop/spool" CACHE STRING
    "Project home page, shown by software centres and in the package")
# No license has been chosen for Spool yet. Until one is, the metadata says so (an SPDX
# LicenseRef, which AppStream accepts) rather than guessing one.
set(SPOOL_LICENSE "LicenseRef-proprietary")

# --- installed files ---------------------------------------------------------------------------
# The window is a separate executable once it is split from the command line; `spool` starts
# it from here, out of PATH.
if(TARGET spool-window)
    install(TARGETS spool-window RUNTIME DESTINATION "${CMAKE_INSTALL_LIBEXECDIR}/spool")
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
