module github.com/parkd/parkd

go 1.26.8

require github.com/emmansun/gmsm v0.44.1
