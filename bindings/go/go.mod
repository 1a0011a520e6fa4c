module batchdot

go 1.18
