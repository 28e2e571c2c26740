# Started by MicroPython at boot (flashed with the other modules; docs/enclosure.md).
import board
import controller

controller.run(board.PicoBoard())
