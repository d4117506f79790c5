# Writes gen/version.c with the current git commit, only when it changed,
# so every build knows the commit it was built from.
execute_process(COMMAND git -C ${SRC} rev-parse --short=12 HEAD
	OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
execute_process(COMMAND git -C ${SRC} status --porcelain --untracked-files=no
	OUTPUT_VARIABLE dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT commit)
	set(commit "unknown")
elseif(dirty)
	set(commit "${commit}-dirty")
endif()
set(text "const char *vmmsim_commit(void) { return \"${commit}\"; }\n")
if(EXISTS ${OUT})
	file(READ ${OUT} old)
endif()
if(NOT "${old}" STREQUAL "${text}")
	file(WRITE ${OUT} "${text}")
endif()
