module github.com/datapool/ingest-go

go 1.22
