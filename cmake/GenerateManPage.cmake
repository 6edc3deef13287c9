# Writes spool.1 (and spool.1.gz) from the built binary's own help, so the manual never
# drifts from what `spool --help` says. Run as a script at build time:
#
#   cmake -DSPOOL=<binary> -DOUTPUT=<dir>/spool.1 -DVERSION=<x.y.z> -DDESCRIPTION=<text>
#         -DWORK_DIR=<scratch dir> [-DGZIP=<gzip>] -P GenerateManPage.cmake
#
# The commands are read from the "Commands:" section of `spool --help`; each one's
# `spool <command> --help` becomes a subsection. A command whose help fails stops the build.

foreach(var SPOOL OUTPUT VERSION DESCRIPTION WORK_DIR)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "GenerateManPage.cmake: ${var} is not set")
    endif()
endforeach()

# The help must not depend on (or touch) the user's folders.
file(MAKE_DIRECTORY "${WORK_DIR}")
set(ENV{SPOOL_DATA_DIR} "${WORK_DIR}/data")
set(ENV{SPOOL_CONFIG_DIR} "${WORK_DIR}/config")
set(ENV{QT_QPA_PLATFORM} "offscreen")

function(spool_help out_var)
    execute_process(COMMAND "${SPOOL}" ${ARGN} --help
                    RESULT_VARIABLE rc OUTPUT_VARIABLE text ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        string(JOIN " " words ${ARGN})
        message(FATAL_ERROR "`spool ${words} --help` failed (${rc}): ${err}")
    endif()
    set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

# Plain text into roff: backslashes and minus signs escaped, and a line starting with a dot
# or an apostrophe is not taken for a request.
function(roff_escape out_var text)
    string(REPLACE "\\" "\\e" text "${text}")
    string(REPLACE "-" "\\-" text "${text}")
    string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
    string(REGEX REPLACE "\n+$" "" text "${text}")
    set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

spool_help(global)

# The usage line is the synopsis; the command names come from the "Commands:" list.
string(REGEX MATCH "^Usage: ([^\n]*)" _ "${global}")
set(synopsis "${CMAKE_MATCH_1}")
string(REGEX MATCH "\nCommands:\n(.*)" _ "${global}")
string(REGEX REPLACE "\n\n.*" "" command_block "${CMAKE_MATCH_1}")
# Anchored on the newline, not "^": MATCHALL applies "^" again where each match ends.
string(REGEX MATCHALL "\n  [a-z][a-z-]*" command_lines "\n${command_block}")
set(commands)
foreach(line IN LISTS command_lines)
    string(STRIP "${line}" name)
    list(APPEND commands "${name}")
endforeach()
list(LENGTH commands count)
if(count EQUAL 0)
    message(FATAL_ERROR "no commands found in `spool --help`:\n${global}")
endif()

string(TIMESTAMP date "%Y-%m-%d" UTC) # honours SOURCE_DATE_EPOCH
roff_escape(synopsis "${synopsis}")
roff_escape(description "${DESCRIPTION}")
roff_escape(global_text "${global}")

set(page ".TH SPOOL 1 \"${date}\" \"spool ${VERSION}\" \"User Commands\"\n")
string(APPEND page ".SH NAME\nspool \\- ${description}\n")
string(APPEND page ".SH SYNOPSIS\n.nf\n${synopsis}\n.fi\n")
string(APPEND page ".SH DESCRIPTION\n.nf\n${global_text}\n.fi\n")
string(APPEND page ".SH COMMANDS\n")
foreach(command IN LISTS commands)
    spool_help(text ${command})
    roff_escape(text "${text}")
    string(APPEND page ".SS \"spool ${command}\"\n.nf\n${text}\n.fi\n")
endforeach()

file(WRITE "${OUTPUT}" "${page}")

# Debian wants manuals compressed with gzip -9n (no name, no time stamp: reproducible).
if(GZIP)
    execute_process(COMMAND "${GZIP}" -9nc "${OUTPUT}" OUTPUT_FILE "${OUTPUT}.gz" RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "gzip ${OUTPUT} failed")
    endif()
endif()
