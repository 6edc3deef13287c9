# Builds each layering case and compares the outcome with what the graph allows (see
# CMakeLists.txt here). Run by ctest as tst_layering.
set(failures 0)
foreach(case IN LISTS CASES)
    string(REPLACE ":" ";" parts ${case})
    list(GET parts 0 target)
    list(GET parts 1 expect)
    execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${target}
                    RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
    if(result EQUAL 0)
        set(outcome pass)
    elseif(output MATCHES "No such file or directory")
        set(outcome fail) # the header is out of reach: what the graph forbids
    else()
        set(outcome broken) # failed for another reason: the case itself is wrong
    endif()
    if(outcome STREQUAL expect)
        message(STATUS "ok: ${target} (${expect}, as the graph says)")
    else()
        math(EXPR failures "${failures} + 1")
        message(STATUS "WRONG: ${target} was expected to ${expect} and did not:\n${output}")
    endif()
endforeach()
if(failures GREATER 0)
    message(FATAL_ERROR "${failures} layering case(s) wrong")
endif()
