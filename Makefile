# natsume-harness top-level build.  See README.md.
#   make             build everything that can be built here (build/rel/)
#   make test        install missing Debian packages (as root), build with
#                    ASan/UBSan (build/san/) and run every test
#   make demo        the main job: the papers' network experiment on the
#                    native testbed (scenarios/native-net.scn)
#   make demo-xen    the papers' experiment on the emulated Xen testbed, small
#                    (scenarios/xen-net-quick.scn; builds Xen the first time)
#   make fuzz        build the libFuzzer targets (build/fuzz/)
#   make bench       the benchmark scripts (not tests; print peers side by side)
# Components are built by their own Makefiles (mk/common.mk has the flags).

COMPONENTS := loadgen analyzer hv-probe guest-probe scenarios testbed
SAN ?= 0
export SAN

all: lib $(COMPONENTS)

lib:
	$(MAKE) -C lib all
$(COMPONENTS): lib
	@if [ -f $@/Makefile ]; then $(MAKE) -C $@ all; fi

deps:
	scripts/deps.sh

test: deps
	$(MAKE) SAN=1 lib $(COMPONENTS)
	$(MAKE) SAN=1 test-bins
	$(MAKE) fuzz
	tests/run-tests.sh

test-bins:
	$(MAKE) -C lib test-bins
	@for c in $(COMPONENTS); do \
	  if [ -f $$c/Makefile ]; then $(MAKE) -C $$c test-bins || exit 1; fi; done

fuzz:
	$(MAKE) -C lib fuzz
	@for c in $(COMPONENTS); do \
	  if [ -f $$c/Makefile ]; then $(MAKE) -C $$c fuzz || exit 1; fi; done

demo: deps all
	scenarios/run scenarios/native-net.scn

demo-xen: deps all
	scenarios/run scenarios/xen-net-quick.scn

bench: all
	@for b in */bench/*.sh; do echo "== $$b"; $$b || exit 1; done

clean:
	rm -rf build
	@for c in $(COMPONENTS); do \
	  if [ -f $$c/Makefile ]; then $(MAKE) -C $$c clean; fi; done

.PHONY: all lib $(COMPONENTS) deps test test-bins fuzz demo demo-xen bench clean
