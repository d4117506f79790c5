# vmm_library(NAME DEPS... SOURCES src...): a static library, or an interface
# library while a layer has no sources yet, so the tree always configures.
function(vmm_library name)
	cmake_parse_arguments(A "" "" "DEPS;SOURCES" ${ARGN})
	if(A_SOURCES)
		add_library(${name} STATIC ${A_SOURCES})
		target_link_libraries(${name} PUBLIC ${A_DEPS})
	else()
		add_library(${name} INTERFACE)
		target_link_libraries(${name} INTERFACE ${A_DEPS})
	endif()
endfunction()
