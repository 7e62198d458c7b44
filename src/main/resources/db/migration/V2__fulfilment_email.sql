-- The promoter's email, so a parked free-months reward can be replayed without a new delivery.
ALTER TABLE fulfilments ADD COLUMN email VARCHAR(320);
