# The firmware's own tests, run on MicroPython (tests/test_enclosure_firmware.py starts
# them): the controller on the faked Pico, the Pi's side played with frame.py.
import unittest

import machine

import board
import controller
import frame
import store
from harness import ROOT, Rig, wipe


def kinds(events):
    return [kind for _, kind, _ in events]


class Handshake(unittest.TestCase):
    def test_announces_itself_until_a_hello(self):
        rig = Rig()
        sent = rig.run(2500)
        self.assertEqual([f.kind for f in sent], [frame.ANNOUNCE] * 3)

    def test_session_then_status_and_boot_event(self):
        rig = Rig()
        boots, counter = rig.hello()
        self.assertEqual((boots, counter), (1, 1))  # the BOOT event is number 1
        rig.state()
        sent = rig.run(100)
        flags, slips, last, tamper = rig.status(sent)[:4]
        self.assertEqual((flags & 3, slips, last, tamper), (3, 0, 1, 0))
        self.assertEqual(rig.events(sent), [(1, controller.BOOT, board.RESET_POWER_ON)])

    def test_wrong_pairing_key_gets_no_session(self):
        rig = Rig()
        rig.pairing = frame.Hmac(b"x" * 32)
        with self.assertRaises(AssertionError):
            rig.hello()
        self.assertEqual(rig.controller.refused_mac, 1)

    def test_no_pairing_key_blinks_fault_and_stays_silent(self):
        rig = Rig(key=None)
        sent = rig.run(1200)
        self.assertEqual(sent, [])
        self.assertEqual(machine.uart.tx, b"")

    def test_each_hello_is_a_new_session_key(self):
        rig = Rig()
        rig.hello(b"A" * 16)
        first = rig.session
        old = rig.state_frame()
        rig.hello(b"A" * 16)  # the same Pi nonce again: the controller's nonce differs
        self.assertNotEqual(first.digest(b"x"), rig.session.digest(b"x"))
        rig.send(old)
        rig.run(20)
        self.assertEqual(rig.controller.refused_mac, 1)


class Refusals(unittest.TestCase):
    def test_replayed_and_out_of_order_frames_are_refused(self):
        rig = Rig()
        rig.hello()
        first = rig.state_frame()
        second = rig.state_frame()
        rig.send(second)
        rig.run(20)
        rig.send(first)  # older than the last one taken
        rig.send(second)  # the same again
        rig.run(20)
        self.assertEqual(rig.controller.refused_replay, 2)

    def test_wrong_mac_is_refused(self):
        rig = Rig()
        rig.hello()
        good = rig.state_frame()
        forged = good[:-1] + bytes((good[-1] ^ 1,))
        rig.send(forged)
        rig.run(20)
        self.assertEqual(rig.controller.refused_mac, 1)

    def test_garbled_stream_is_skipped_and_the_next_frame_taken(self):
        rig = Rig()
        rig.hello()
        good = rig.state_frame()
        damaged = bytearray(rig.state_frame())
        damaged[9] ^= 0xFF
        rig.send(b"\x00\xa5noise\xa5\x5a\xff" + bytes(damaged) + good)
        sent = rig.run(40)
        self.assertTrue(rig.status(sent) is not None)
        self.assertTrue(rig.controller._decoder.garbled > 0)

    def test_decoder_survives_every_cut_of_a_frame(self):
        rig = Rig()
        rig.hello()
        data = rig.state_frame() + rig.state_frame()
        decoder = frame.Decoder()
        got = []
        for byte in data:
            got += decoder.feed(bytes((byte,)))
        self.assertEqual([f.seq for f in got], [1, 2])
        self.assertEqual(decoder.garbled, 0)

    def test_fuzzed_line_changes_nothing(self):
        rig = Rig()
        rig.hello()
        rig.state()
        rig.run(50)
        before = (rig.controller.store.counter, list(rig.controller.store.pending))
        valid = rig.state_frame()
        for round in range(200):
            junk = machine.urandom(1 + round % 90)
            if round % 7 == 0:  # a real frame's head with junk after it
                junk = valid[: 2 + round % 40] + junk
            if round % 11 == 0:  # a real frame with one byte changed
                spoiled = bytearray(valid)
                spoiled[round % len(spoiled)] ^= 1 + round % 255
                junk = bytes(spoiled)
            rig.send(junk)
            sent = rig.run(5)
            self.assertEqual([f.kind for f in sent if f.kind != frame.STATUS], [])
        after = (rig.controller.store.counter, list(rig.controller.store.pending))
        self.assertEqual(after, before)
        self.assertEqual(machine.outputs[board.LED_POLLS_OPEN], 0)  # no STATE got through
        rig.send(bytes(200))  # junk long enough to flush a half frame
        rig.run(10)
        rig.state(lights=controller.LIGHT_POLLS_OPEN)
        rig.run(20)
        self.assertEqual(machine.outputs[board.LED_POLLS_OPEN], 1)


class Inputs(unittest.TestCase):
    def live(self):
        rig = Rig()
        rig.hello()
        rig.state()
        rig.run(50)
        return rig

    def keep_alive(self, rig, ms):
        sent = []
        for _ in range(ms // 500):
            rig.state(ack=rig.controller.store.counter)
            sent += rig.run(500)
        return sent

    def test_bouncing_seal_is_one_opening(self):
        rig = self.live()
        for level in (1, 0, 1, 0, 1):  # bounces every 5 ms, then stays open
            machine.levels[board.SEAL] = level
            rig.run(5)
        sent = self.keep_alive(rig, 1000)
        self.assertEqual(kinds(rig.events(sent)), [controller.SEAL_OPENED])
        self.assertEqual(rig.status(sent)[0] & controller.STATUS_SEAL_CLOSED, 0)

    def test_one_count_per_slip_and_a_jam(self):
        rig = self.live()
        sent = []
        for _ in range(3):
            machine.levels[board.SLIP] = 0  # blocked for 20 ms, with a flutter
            sent += rig.run(10)
            machine.levels[board.SLIP] = 1
            sent += rig.run(2, step=1)
            machine.levels[board.SLIP] = 0
            sent += rig.run(10)
            machine.levels[board.SLIP] = 1
            sent += rig.run(100)
        machine.levels[board.SLIP] = 0
        sent += self.keep_alive(rig, 2000)
        machine.levels[board.SLIP] = 1
        sent += self.keep_alive(rig, 1000)
        events = rig.events(sent)
        self.assertEqual(
            kinds(events),
            [controller.SLIP] * 4 + [controller.JAM, controller.JAM_CLEARED],
        )
        self.assertEqual(
            [value for _, kind, value in events if kind == controller.SLIP], [1, 2, 3, 4]
        )
        self.assertEqual(rig.status(sent)[1], 4)

    def test_keys_go_out_as_key_frames(self):
        rig = self.live()
        machine.levels[board.KEYS[4]] = 0  # select
        sent = rig.run(50)
        machine.levels[board.KEYS[4]] = 1
        sent += rig.run(50)
        keys = [tuple(f.payload) for f in sent if f.kind == frame.KEY]
        self.assertEqual(keys, [(4, 1), (4, 0)])

    def test_lights_and_alarm_follow_the_pi(self):
        rig = self.live()
        lights = controller.LIGHT_POLLS_OPEN | controller.LIGHT_FAULT
        rig.state(lights=lights, buzzer=controller.BUZZER_ALARM)
        seen = set()
        for _ in range(100):
            rig.run(5)
            seen.add(machine.outputs[board.BUZZER])
        self.assertEqual(machine.outputs[board.LED_POLLS_OPEN], 1)
        self.assertEqual(machine.outputs[board.LED_ATTENTION], 0)
        self.assertEqual(machine.outputs[board.LED_FAULT], 1)
        self.assertEqual(seen, {0, 1})  # pulsing
        rig.run(3500)  # the Pi goes away: lights out
        self.assertEqual(machine.outputs[board.LED_POLLS_OPEN], 0)


class WhileThePiIsOff(unittest.TestCase):
    def test_dormant_then_an_opening_is_tamper_with_its_own_counter(self):
        rig = Rig()
        rig.run(200)
        self.assertFalse(rig.controller.may_sleep())
        rig.run(10000)
        self.assertTrue(rig.controller.may_sleep())
        self.assertIn(board.SEAL, machine.wake_edges)

        def opened():
            machine.levels[board.SEAL] = 1

        machine.on_sleep = opened
        try:
            rig.board.dormant()
        finally:
            machine.on_sleep = None
        self.assertEqual(machine.sleeps >= 1, True)
        rig.run(100)
        self.assertEqual(rig.controller.store.tamper_off, 1)
        # The Pi comes: the opening is told, numbered after the boot.
        rig.hello()
        rig.state()
        events = rig.events(rig.run(300))
        self.assertEqual(events[-1], (2, controller.TAMPER_WHILE_OFF, 1))
        rig.state()
        self.assertEqual(rig.status(rig.run(20))[3], 1)

    def test_counters_survive_a_watchdog_reset(self):
        rig = Rig()
        rig.hello()
        rig.state()
        rig.run(50)
        machine.levels[board.SLIP] = 0
        rig.run(20)
        machine.levels[board.SLIP] = 1
        rig.run(20)
        # The loop hangs: the watchdog restarts the chip; flash is all that is left.
        machine.cause = machine.WDT_RESET
        try:
            again = Rig(fresh=False)
        finally:
            machine.cause = machine.PWRON_RESET
        boots, counter = again.hello()
        self.assertEqual((boots, counter), (2, 3))
        again.state()
        events = again.events(again.run(300))
        self.assertIn((3, controller.BOOT, board.RESET_WATCHDOG), events)
        self.assertIn((2, controller.SLIP, 1), events)  # never acknowledged: sent again

    def test_acknowledged_events_leave_the_flash(self):
        rig = Rig()
        rig.hello()
        rig.state(ack=1)
        rig.run(50)
        again = store.Store(ROOT)
        again.load()
        self.assertEqual((again.counter, again.pending), (1, []))

    def test_a_damaged_state_file_is_reported(self):
        Rig()
        with open(ROOT + "/state.bin", "r+b") as handle:
            handle.seek(6)
            handle.write(b"\xff")
        again = Rig(fresh=False)
        again.hello()
        again.state()
        events = again.events(again.run(300))
        self.assertEqual(kinds(events)[0], controller.STATE_DAMAGED)

    def test_watchdog_fed_every_turn(self):
        rig = Rig()
        rig.board.start_watchdog(controller.WATCHDOG_MS)
        rig.run(100)
        self.assertEqual(machine.watchdog.timeout, 2000)
        self.assertEqual(machine.watchdog.feeds, 20)


class Crypto(unittest.TestCase):
    def test_hmac_matches_micropython_lib(self):
        import hmac

        for key in (b"", b"k", bytes(range(32)), b"x" * 64, b"y" * 100):
            for message in (b"", b"abc", bytes(200)):
                self.assertEqual(
                    frame.Hmac(key).digest(message), hmac.new(key, message, "sha256").digest()
                )

    def test_equal(self):
        self.assertTrue(frame.equal(b"abc", b"abc"))
        self.assertFalse(frame.equal(b"abc", b"abd"))
        self.assertFalse(frame.equal(b"abc", b"ab"))
        self.assertTrue(frame.equal(b"", b""))


def main():
    wipe()
    suite = unittest.TestSuite()
    for value in list(globals().values()):
        if (
            isinstance(value, type)
            and issubclass(value, unittest.TestCase)
            and value is not unittest.TestCase
        ):
            suite.addTest(value)
    result = unittest.TextTestRunner().run(suite)
    print(
        "firmware tests: %d run, %d failed, %d errors"
        % (result.testsRun, len(result.failures), len(result.errors))
    )
    if not result.wasSuccessful() or result.testsRun == 0:
        raise SystemExit(1)


main()
