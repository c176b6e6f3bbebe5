# Shared build settings, included by every component Makefile.
#   make            optimised build into build/rel/
#   make SAN=1      ASan+UBSan build into build/san/ (what `make test` uses)
# Component Makefiles set COMP (their folder name) and then use:
#   $(BIN)  programs        $(TBIN)  unit-test binaries (named test-*)
#   $(OBJ)  objects         $(LIBNT) the shared library (lib/)
TOP      := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
SAN      ?= 0
ifeq ($(SAN),1)
VARIANT  := san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT      := -O1
else
VARIANT  := rel
SANFLAGS :=
OPT      := -O2
endif
BUILD    := $(TOP)/build/$(VARIANT)
BIN      := $(BUILD)/bin
LIBDIR   := $(BUILD)/lib
OBJ      := $(BUILD)/obj/$(COMP)
TBIN     := $(BUILD)/tests/$(COMP)
LIBNT    := $(LIBDIR)/libnt.a
CC       ?= cc
CFLAGS   ?= $(OPT) -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wno-unused-parameter \
            -I$(TOP)/include $(SANFLAGS) -MMD -MP
LDFLAGS  += $(SANFLAGS)
LDLIBS   += -lm
# libFuzzer builds (make fuzz): clang, into build/fuzz/
FUZZCC    ?= clang
FUZZDIR   := $(TOP)/build/fuzz
FUZZFLAGS := -g -O1 -std=c11 -D_GNU_SOURCE -I$(TOP)/include \
             -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined

# The git revision the programs report (--version, program_version=).
NT_GIT_REV := $(shell git -C $(TOP) describe --always --dirty --abbrev=12 --exclude='*' 2>/dev/null || echo unknown)
# Every lib/*.c: for builds that compile the library's sources directly
# (static guest and dom0 programs, fuzz targets).
LIBNT_SRCS := $(wildcard $(TOP)/lib/*.c)
LIBNT_DEFS := -DNT_GIT_REV='"$(NT_GIT_REV)"'
# lib/Makefile rewrites it when the revision changes: programs built from
# LIBNT_SRCS depend on it so that their --version follows
REVSTAMP   := $(BUILD)/git-rev.txt

pc_cflags = $(shell pkg-config --cflags $(1) 2>/dev/null)
pc_libs   = $(shell pkg-config --libs $(1) 2>/dev/null)

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<
