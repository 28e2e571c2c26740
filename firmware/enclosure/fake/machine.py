# A faked `machine` for the tests and the simulator: the same board.py runs over it, and
# what the board would see or drive is in plain module state that a test or the simulator
# sets and reads (levels of inputs, levels of outputs, the UART's two queues, sleeps).

levels = {}  # input pin -> level (pull-ups read 1 until set)
outputs = {}  # output pin -> level
wake_edges = {}  # pin -> the edges its irq was armed for
sleeps = 0
on_sleep = None  # called while "dormant": a test changes levels there
uart = None
watchdog = None
PWRON_RESET = 1
WDT_RESET = 3
SOFT_RESET = 5
cause = PWRON_RESET
_random_state = [0x12345678]


class Pin:
    IN = 0
    OUT = 1
    PULL_UP = 1
    IRQ_FALLING = 4
    IRQ_RISING = 8

    def __init__(self, number, mode=-1, pull=-1, value=None):
        self.number = number
        if mode == Pin.OUT:
            outputs[number] = value or 0
        elif mode == Pin.IN and number not in levels:
            levels[number] = 1 if pull == Pin.PULL_UP else 0

    def value(self, level=None):
        if level is None:
            if self.number in outputs:
                return outputs[self.number]
            return levels.get(self.number, 0)
        outputs[self.number] = level

    def irq(self, handler=None, trigger=0):
        wake_edges[self.number] = trigger


class UART:
    def __init__(self, ident, baudrate=9600, tx=None, rx=None, rxbuf=64, timeout=0):
        global uart
        uart = self
        self.baudrate = baudrate
        self.rx = b""  # what the Pi sent, not read yet
        self.tx = b""  # what the controller wrote, not taken yet

    def any(self):
        return len(self.rx)

    def read(self, count=None):
        data, self.rx = self.rx, b""
        return data or None

    def write(self, data):
        self.tx += data
        return len(data)

    def take(self):
        data, self.tx = self.tx, b""
        return data


class WDT:
    def __init__(self, timeout=5000):
        global watchdog
        watchdog = self
        self.timeout = timeout
        self.feeds = 0

    def feed(self):
        self.feeds += 1


def reset_cause():
    return cause


def lightsleep(ms=None):
    global sleeps
    sleeps += 1
    if on_sleep is not None:
        on_sleep()


def urandom(count):
    """Random bytes: Node's crypto when the runner provides it (the simulator), otherwise
    a fixed sequence (unit tests want the same nonces every run)."""
    try:
        import node_random

        return bytes.fromhex(node_random.hex(count))
    except ImportError:
        pass
    out = bytearray()
    state = _random_state[0]
    for _ in range(count):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        out.append(state >> 16 & 0xFF)
    _random_state[0] = state
    return bytes(out)
