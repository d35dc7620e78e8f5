"""What leaves the app: CSV/XLSX/PNG exports, maps, slides, the meeting pack and generated docs."""
